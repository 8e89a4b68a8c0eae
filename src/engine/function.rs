//! A function is a value: a preset with its options, or the regression loss with its data
//! source (typed formulas come next). One parser reads it from the command line, the window
//! and the state file; `Display` writes it back in command-line form, e.g.
//! `sum-squares --dim 5` or `regression --data seed001 --standardize`.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::error::EngineError;
use super::expr::{Expr, TypedFunction};
use super::format::{UNDERFLOW, exact, underflows};
use super::objective::Objective;
use super::presets::{PRESET_NAMES, PresetKind};
use super::regression::{DataError, DataSpec, Dataset, LossObjective, read_csv_file};

/// The name of the regression loss on the command line and in the picker.
pub const REGRESSION: &str = "regression";

/// What the picker calls a typed formula.
pub const FORMULA: &str = "your function";

/// Where the regression lab's points come from.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// Drawn by the generator (the seed notebooks' sets are generator settings).
    Generated(DataSpec),
    /// Read from a CSV file of two columns.
    Csv(PathBuf),
    /// Points given one by one (`points:x,y;x,y;...`): the lab's points after the user
    /// edited them, so edits are saved with the session and in scenarios.
    Points(Arc<Dataset>),
}

/// The most points a `points:` source holds: edits are made by hand, a point at a time.
pub const MAX_LISTED_POINTS: usize = 5_000;

impl DataSource {
    /// Reads `seed000`, `seed001`, `seed002`, `gen:a=4,b=3,...`, `points:x,y;x,y;...` or a
    /// file path.
    pub fn parse(text: &str) -> Result<Self, DataError> {
        if let Some(list) = text.strip_prefix("points:") {
            return parse_points(list).map(|data| Self::Points(Arc::new(data)));
        }
        if let Some(spec) = DataSpec::preset(text) {
            return Ok(Self::Generated(spec));
        }
        if let Some(spec) = text.strip_prefix("gen:") {
            return DataSpec::parse(spec)
                .map(Self::Generated)
                .map_err(|e| DataError::Spec(format!("gen: {e}")));
        }
        if text.trim().is_empty() {
            return Err(DataError::File("the data file's path is empty".to_string()));
        }
        Ok(Self::Csv(PathBuf::from(text)))
    }

    /// The points: generated, or read from the file with its limits.
    pub fn load(&self) -> Result<Dataset, DataError> {
        match self {
            Self::Generated(spec) => spec.generate(),
            Self::Points(data) => Ok(Dataset::clone(data)),
            Self::Csv(path) => read_csv_file(path).map_err(|e| match e {
                DataError::File(_) => e,
                other => DataError::File(format!("{}: {other}", path.display())),
            }),
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Generated(spec) => {
                for name in ["seed000", "seed001", "seed002"] {
                    if DataSpec::preset(name) == Some(*spec) {
                        return f.write_str(name);
                    }
                }
                write!(f, "gen:{}", spec.to_text())
            }
            Self::Csv(path) => f.write_str(&path.display().to_string()),
            Self::Points(data) => {
                f.write_str("points:")?;
                for (i, (x, y)) in data.x.iter().zip(&data.y).enumerate() {
                    let sep = if i == 0 { "" } else { ";" };
                    write!(f, "{sep}{},{}", exact(*x), exact(*y))?;
                }
                Ok(())
            }
        }
    }
}

/// Reads `x,y;x,y;...`, naming the point that is wrong.
fn parse_points(list: &str) -> Result<Dataset, DataError> {
    let items: Vec<&str> = list.split(';').collect();
    if items.len() > MAX_LISTED_POINTS {
        return Err(DataError::Spec(format!(
            "points: at most {MAX_LISTED_POINTS} points, got {}",
            items.len()
        )));
    }
    let (mut x, mut y) = (
        Vec::with_capacity(items.len()),
        Vec::with_capacity(items.len()),
    );
    for (i, item) in items.iter().enumerate() {
        let pair = item.split_once(',').map(|(a, b)| (a.trim(), b.trim()));
        let numbers =
            pair.and_then(|(a, b)| Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)));
        let (Some((a_text, b_text)), Some((a, b))) = (pair, numbers) else {
            return Err(DataError::Spec(format!(
                "points: point {} is '{}', expected x,y (points are separated by ';')",
                i + 1,
                item.trim()
            )));
        };
        if let Some(text) = [(a_text, a), (b_text, b)]
            .into_iter()
            .find_map(|(t, v)| underflows(t, v).then_some(t))
        {
            return Err(DataError::Spec(format!(
                "points: point {}: '{text}' {UNDERFLOW}",
                i + 1
            )));
        }
        x.push(a);
        y.push(b);
    }
    Dataset::new(x, y).map_err(|e| DataError::Spec(format!("points: {e}")))
}

impl serde::Serialize for DataSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DataSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A function descent can minimize, as a value.
#[derive(Clone, Debug, PartialEq)]
pub enum FunctionSpec {
    /// A preset; `dim` only for `sum-squares`.
    Preset {
        /// Which preset.
        kind: PresetKind,
        /// The dimension of `sum-squares` (default 3).
        dim: Option<usize>,
    },
    /// A typed formula f(x, y), or f(x) when it uses only x.
    Formula(Expr),
    /// The mean squared error of a line fitted to data.
    Regression {
        /// Where the points come from.
        data: DataSource,
        /// Whether x is rescaled to mean 0 and standard deviation 1.
        standardize: bool,
    },
}

impl Default for FunctionSpec {
    fn default() -> Self {
        Self::preset(PresetKind::Bowl)
    }
}

/// A mistake in a function's description, with the command-line option it concerns.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct FunctionError {
    /// The option, e.g. `--data`.
    pub flag: &'static str,
    /// What is wrong.
    pub message: String,
}

impl FunctionError {
    fn new(flag: &'static str, message: impl fmt::Display) -> Self {
        Self {
            flag,
            message: message.to_string(),
        }
    }
}

/// A function built from its spec: the objective, and the data of a regression.
#[derive(Clone, Debug)]
pub struct Function {
    /// What it was built from.
    pub spec: FunctionSpec,
    /// The objective.
    pub objective: Arc<dyn Objective>,
    /// The data a regression fits (standardized if asked).
    pub data: Option<Arc<Dataset>>,
}

impl FunctionSpec {
    /// A preset without options.
    pub fn preset(kind: PresetKind) -> Self {
        Self::Preset { kind, dim: None }
    }

    /// The command-line name: `bowl`, `sum-squares`, `regression`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Preset { kind, .. } => kind.name(),
            Self::Formula(_) => FORMULA,
            Self::Regression { .. } => REGRESSION,
        }
    }

    /// The number of parameters.
    pub fn dim(&self) -> usize {
        match self {
            Self::Preset { kind, dim } => kind.dim(*dim),
            Self::Formula(expr) => expr.dim(),
            Self::Regression { .. } => 2,
        }
    }

    /// Whether this is the regression loss.
    pub fn is_regression(&self) -> bool {
        matches!(self, Self::Regression { .. })
    }

    /// The preset, if it is one.
    pub fn preset_kind(&self) -> Option<PresetKind> {
        match self {
            Self::Preset { kind, .. } => Some(*kind),
            Self::Formula(_) | Self::Regression { .. } => None,
        }
    }

    /// Whether a linear color scale hides this function's valleys.
    pub fn prefers_log_color(&self) -> bool {
        self.preset_kind()
            .is_some_and(PresetKind::prefers_log_color)
    }

    /// Builds the spec from the command line's options: `--function`, `--dim`, `--data`
    /// and `--standardize`, each checked against the function.
    pub fn from_options(
        function: &str,
        dim: Option<&str>,
        data: Option<&str>,
        standardize: bool,
    ) -> Result<Self, FunctionError> {
        // " bowl" is a name typed with a stray space, not a formula.
        let function = function.trim();
        if function == REGRESSION {
            if dim.is_some() {
                return Err(FunctionError::new(
                    "--dim",
                    "applies only to sum-squares, not to 'regression'",
                ));
            }
            let data = data.ok_or_else(|| {
                FunctionError::new(
                    "--data",
                    "regression needs data: --data FILE.csv, --data gen:a=4,b=3,sigma=1,n=100,lo=0,hi=2,seed=0, or --data seed000|seed001|seed002",
                )
            })?;
            let data = DataSource::parse(data).map_err(|e| FunctionError::new("--data", e))?;
            return Ok(Self::Regression { data, standardize });
        }
        // "sum-squares --dim 3" quoted as one value: its options are the command line's.
        if let Some((name, options)) = function.split_once(" --")
            && (name.trim() == REGRESSION || PresetKind::from_name(name.trim()).is_ok())
        {
            return Err(FunctionError::new(
                "--function",
                format!(
                    "'{function}' holds options of the command line: write --function {} --{} (the options apart, outside the quotes)",
                    name.trim(),
                    options.trim()
                ),
            ));
        }
        let kind = match PresetKind::from_name(function) {
            Ok(kind) => kind,
            Err(_) => return Self::formula(function, dim, data, standardize),
        };
        if data.is_some() || standardize {
            let flag = if data.is_some() {
                "--data"
            } else {
                "--standardize"
            };
            return Err(FunctionError::new(
                flag,
                format!("applies only to --function regression, not to '{function}'"),
            ));
        }
        let dim = match dim {
            None => None,
            Some(text) => {
                if !kind.has_dim() {
                    return Err(FunctionError::new(
                        "--dim",
                        EngineError::DimNotApplicable(function.to_string()),
                    ));
                }
                Some(parse_dim(text)?)
            }
        };
        Ok(Self::Preset { kind, dim })
    }

    /// A typed formula given where a function's name goes; a single unknown word is an
    /// unknown function rather than a formula with an unknown name.
    fn formula(
        text: &str,
        dim: Option<&str>,
        data: Option<&str>,
        standardize: bool,
    ) -> Result<Self, FunctionError> {
        // A name starts with a letter: `1e309`, `x-` and `---` are formulas that do not read.
        let word = text.chars().next().is_some_and(char::is_alphabetic)
            && !text.ends_with(['-', '_'])
            && text
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            // `xy` and `x²` are formulas written as on paper: their own messages say how.
            && !text
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .chars()
                .all(|c| c == 'x' || c == 'y')
            && !text.chars().any(|c| "²³¹⁴⁵⁶⁷⁸⁹⁰".contains(c));
        let expr = match Expr::parse(text) {
            Ok(expr) => expr,
            // `PI`, `X`: a formula's own name in capitals says so, not the preset list.
            Err(e) if word && e.to_string().contains("names are lowercase") => {
                let shown = shortened(text);
                return Err(FunctionError::new("--function", format!("'{shown}': {e}")));
            }
            Err(_) if word => {
                return Err(FunctionError::new(
                    "--function",
                    EngineError::UnknownFunction {
                        name: shortened(text),
                        hint: super::format::nearest(text, &PRESET_NAMES)
                            .map(|n| format!(" (did you mean '{n}'?)"))
                            .unwrap_or_default(),
                        valid: format!(
                            "{}, {REGRESSION} (with --data), or a formula such as \"x^2 + 3*y^2\"",
                            PRESET_NAMES.join(", ")
                        ),
                    },
                ));
            }
            Err(e) => {
                let shown = shortened(text);
                return Err(FunctionError::new("--function", format!("'{shown}': {e}")));
            }
        };
        for (flag, given) in [
            ("--dim", dim.is_some()),
            ("--data", data.is_some()),
            ("--standardize", standardize),
        ] {
            if given {
                return Err(FunctionError::new(
                    flag,
                    "does not apply to a typed formula",
                ));
            }
        }
        Ok(Self::Formula(expr))
    }

    /// Reads the command-line form that `Display` writes, e.g. `sum-squares --dim 5` or
    /// `regression --data "my points.csv" --standardize`.
    pub fn parse(text: &str) -> Result<Self, FunctionError> {
        let tokens = tokenize(text)?;
        // A formula written with spaces and without quotes (`x^2 + y^2`, as a hand-edited
        // scenario holds it) has no options: it is read whole.
        if tokens.len() > 1 && !tokens.iter().any(|t| t.starts_with("--")) {
            return Self::from_options(text.trim(), None, None, false);
        }
        let mut tokens = tokens.iter().map(String::as_str);
        let function = tokens
            .next()
            .ok_or_else(|| FunctionError::new("--function", "no function given"))?;
        let (mut dim, mut data, mut standardize) = (None, None, false);
        while let Some(token) = tokens.next() {
            match token {
                "--dim" => {
                    dim = Some(tokens.next().ok_or_else(|| {
                        FunctionError::new("--dim", "a value is required for '--dim <N>'")
                    })?)
                }
                "--data" => {
                    data = Some(tokens.next().ok_or_else(|| {
                        FunctionError::new("--data", "a value is required for '--data <SOURCE>'")
                    })?)
                }
                "--standardize" => standardize = true,
                other => {
                    return Err(FunctionError::new(
                        "--function",
                        format!(
                            "unexpected '{other}' after the function's name; options: --dim, --data, --standardize"
                        ),
                    ));
                }
            }
        }
        Self::from_options(function, dim, data, standardize)
    }

    /// Builds the objective (and reads or generates a regression's data).
    pub fn build(&self) -> Result<Function, FunctionError> {
        match self {
            Self::Formula(expr) => Ok(Function {
                spec: self.clone(),
                objective: Arc::new(TypedFunction::new(expr.clone())),
                data: None,
            }),
            Self::Preset { kind, dim } => {
                let objective = kind
                    .objective(*dim)
                    .map_err(|e| FunctionError::new("--dim", e))?;
                Ok(Function {
                    spec: self.clone(),
                    objective,
                    data: None,
                })
            }
            Self::Regression { data, standardize } => {
                let raw = data.load().map_err(|e| FunctionError::new("--data", e))?;
                let fitted = if *standardize {
                    raw.standardized()
                        .map_err(|e| FunctionError::new("--standardize", e))?
                } else {
                    raw
                };
                let objective: Arc<dyn Objective> = Arc::new(LossObjective::new(&fitted));
                Ok(Function {
                    spec: self.clone(),
                    objective,
                    data: Some(Arc::new(fitted)),
                })
            }
        }
    }
}

fn parse_dim(text: &str) -> Result<usize, FunctionError> {
    let bad = || {
        FunctionError::new(
            "--dim",
            format!(
                "'{text}' is not a whole number between 1 and {}",
                super::presets::MAX_DIM
            ),
        )
    };
    // 3, or 3.0 and 1e2 as --iters takes them: whole numbers written as decimals.
    let value: i64 = match text.trim().parse() {
        Ok(v) => v,
        Err(_) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
            .filter(|v| super::format::rounding_note(text, *v).is_none())
            .map(|v| v as i64)
            .ok_or_else(bad)?,
    };
    let max = super::presets::MAX_DIM;
    match usize::try_from(value) {
        Ok(dim) if (1..=max).contains(&dim) => Ok(dim),
        _ => Err(FunctionError::new(
            "--dim",
            EngineError::BadDim { got: value, max },
        )),
    }
}

impl fmt::Display for FunctionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Self::Formula(expr) = self {
            return f.write_str(&quote(expr.text()));
        }
        f.write_str(self.name())?;
        match self {
            Self::Preset { dim: Some(dim), .. } => write!(f, " --dim {dim}"),
            Self::Preset { dim: None, .. } | Self::Formula(_) => Ok(()),
            Self::Regression { data, standardize } => {
                write!(f, " --data {}", quote(&data.to_string()))?;
                if *standardize {
                    f.write_str(" --standardize")?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for FunctionSpec {
    type Err = FunctionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for FunctionSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for FunctionSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Quotes a token that holds spaces or quotes, so [`tokenize`] reads it back whole.
/// A long formula or name is quoted by its start (errors mark the place by character).
fn shortened(text: &str) -> String {
    let text = text.trim();
    let mut shown: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        shown.push('…');
    }
    shown
}

fn quote(token: &str) -> String {
    if !token.is_empty()
        && !token
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    {
        return token.to_string();
    }
    let escaped = token.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// Splits on whitespace; double quotes group, and a backslash escapes the next character
/// inside them.
fn tokenize(text: &str) -> Result<Vec<String>, FunctionError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut token = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(escaped) => token.push(escaped),
                        None => break,
                    },
                    Some(other) => token.push(other),
                    None => {
                        return Err(FunctionError::new("--function", "a quote is not closed"));
                    }
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                token.push(c);
                chars.next();
            }
        }
        tokens.push(token);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let specs = [
            FunctionSpec::preset(PresetKind::ThreeWells),
            FunctionSpec::Preset {
                kind: PresetKind::SumSquares,
                dim: Some(7),
            },
            FunctionSpec::Regression {
                data: DataSource::Generated(DataSpec::seed002()),
                standardize: true,
            },
            FunctionSpec::Regression {
                data: DataSource::Generated(DataSpec {
                    n: 17,
                    sigma: 0.25,
                    ..DataSpec::seed001()
                }),
                standardize: false,
            },
            FunctionSpec::Regression {
                data: DataSource::Csv(PathBuf::from("my \"points\".csv")),
                standardize: false,
            },
        ];
        for spec in specs {
            let text = spec.to_string();
            assert_eq!(FunctionSpec::parse(&text).unwrap(), spec, "{text}");
            let json = serde_json::to_string(&spec).unwrap();
            assert_eq!(serde_json::from_str::<FunctionSpec>(&json).unwrap(), spec);
        }
        assert_eq!(FunctionSpec::preset(PresetKind::Bowl).to_string(), "bowl");
    }

    #[test]
    fn options_that_do_not_apply_are_refused_with_their_flag() {
        let err = FunctionSpec::parse("bowl --dim 3").unwrap_err();
        assert_eq!(err.flag, "--dim");
        let err = FunctionSpec::parse("regression --dim 3 --data seed001").unwrap_err();
        assert_eq!(err.flag, "--dim");
        let err = FunctionSpec::parse("bowl --data seed001").unwrap_err();
        assert_eq!(err.flag, "--data");
        let err = FunctionSpec::parse("regression").unwrap_err();
        assert_eq!(err.flag, "--data");
        let err = FunctionSpec::parse("sum-squares --dim").unwrap_err();
        assert!(err.message.contains("value is required"), "{err}");
        let err = FunctionSpec::parse("banana").unwrap_err();
        assert!(err.message.contains("valid functions: bowl"), "{err}");
        let err = FunctionSpec::parse("sum-squares --dim 0").unwrap_err();
        assert!(err.message.contains("between 1 and 1000"), "{err}");
    }
}
