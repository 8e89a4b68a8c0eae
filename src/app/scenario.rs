//! Scenarios: the whole setup on screen (function, view, layout, runs and their optimizers,
//! the lab's data source, display settings) as a small JSON file to hand out, open again, or
//! start descent with (`descent --scenario FILE`). The user's saved functions stay out of it.
//! A file of an older or newer version loads what it can and names what it skipped.

use std::path::Path;

use super::persistence::StateFile;
use super::settings::Settings;

/// The key that marks a scenario file, with its format version.
pub const MARK: &str = "descent_scenario";
/// The format version written.
pub const VERSION: u64 = 1;
/// The longest a skipped field is said, with its reason.
pub const MAX_SKIPPED_CHARS: usize = 240;
/// The largest scenario file descent reads.
pub const MAX_BYTES: u64 = 1 << 20;

/// The scenario of `settings`, as pretty JSON.
pub fn to_text(settings: &Settings) -> String {
    let settings = Settings {
        saved: Vec::new(),
        ..settings.clone()
    };
    let mut value = serde_json::to_value(&settings).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("saved");
        map.remove("appearance");
        map.insert(MARK.to_string(), VERSION.into());
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Reads a scenario: the settings and the fields skipped (unknown to this version, or not
/// readable: they keep their defaults), or what is wrong with the file (with its line).
pub fn from_text(text: &str) -> Result<(Settings, Vec<String>), String> {
    // An editor's byte-order mark is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| crate::engine::format::json_error(&e))?;
    // JSON readers keep the last of two equal keys without a word: say it instead.
    serde_json::from_str::<NoDuplicateKeys>(text)
        .map_err(|e| crate::engine::format::json_error(&e))?;
    let serde_json::Value::Object(mut map) = value else {
        return Err("a scenario is a JSON object ({ ... })".to_string());
    };
    let mut newer = None;
    match map.remove(MARK) {
        None if map.contains_key("step") => {
            return Err(format!(
                "not a descent scenario (no \"{MARK}\" field) but a lesson, it seems: open it with --lesson or Lessons > Open lesson"
            ));
        }
        None => {
            return Err(format!(
                "not a descent scenario (no \"{MARK}\" field); save one with File > Save scenario"
            ));
        }
        Some(version) if version.as_u64().is_some_and(|v| v > VERSION) => {
            newer = version.as_u64();
        }
        Some(version) if version.as_u64().is_none_or(|v| v < 1) => {
            return Err(format!(
                "{MARK}: must be the format's version, a whole number such as {VERSION}, got {}",
                crate::engine::format::one_line(&version.to_string())
            ));
        }
        Some(_) => {}
    }
    map.remove("saved");
    map.remove("appearance");
    let known = match serde_json::to_value(Settings::default()) {
        Ok(serde_json::Value::Object(defaults)) => defaults,
        _ => serde_json::Map::new(),
    };
    // Names as a one-line notice can show them, whatever characters the file used.
    let mut skipped: Vec<String> = map
        .keys()
        .filter(|k| !known.contains_key(*k))
        .map(|k| crate::engine::format::one_line(k))
        .collect();
    skipped.extend(unknown_group_fields(&map, &known));
    skipped.extend(unknown_run_fields(&map));
    let function = map.get("function").cloned();
    let (settings, reset) = Settings::from_state_text(&serde_json::Value::Object(map).to_string());
    // Without its function a scenario would show another: refuse it rather than skip it.
    if reset
        .iter()
        .any(|k| k == "function" || k.starts_with("function ("))
        && let Some(function) = function
    {
        let why = match serde_json::from_value::<crate::engine::FunctionSpec>(function) {
            // The file's field is named, not the command-line options it reads like.
            Err(e) => crate::engine::format::one_line(&e.to_string())
                .replace("--function: ", "")
                .replace("--function regression", "regression")
                .replace("--dim: ", "--dim in the function: ")
                .replace("--data: ", "--data in the function: "),
            Ok(_) => "it does not fit this version's settings".to_string(),
        };
        return Err(format!("function: {why}"));
    }
    let max = crate::engine::presets::MAX_WINDOW_DIM;
    if settings.function.dim() > max {
        return Err(format!(
            "function: {} in {} dimensions has no window view: the window shows at most {max}; use `descent run`",
            settings.function.name(),
            settings.function.dim()
        ));
    }
    // A group unreadable as a whole names its unknown fields itself.
    skipped.retain(|s| {
        s.strip_suffix(" (unknown)")
            .is_none_or(|field| !reset.iter().any(|r| r == field))
    });
    skipped.extend(reset);
    if let Some(v) = newer {
        skipped.push(format!(
            "(the file is of format {v}, newer than this descent's {VERSION}: what it could not read keeps its default)"
        ));
    }
    // Values read but out of range are brought into it when the scene is shown: name them.
    skipped.extend(settings.out_of_range());
    Ok((settings, skipped))
}

/// The skipped fields as one line: at most ten, each cut to [`MAX_SKIPPED_CHARS`] characters
/// (room for a field's name, its reason and the names it allows).
pub fn describe_skipped(skipped: &[String]) -> String {
    let mut names: Vec<String> = skipped
        .iter()
        .take(10)
        .map(|name| {
            let mut cut: String = name.chars().take(MAX_SKIPPED_CHARS).collect();
            if name.chars().count() > MAX_SKIPPED_CHARS {
                cut.push('…');
            }
            cut
        })
        .collect();
    if skipped.len() > 10 {
        names.push(format!("and {} more", skipped.len() - 10));
    }
    names.join(", ")
}

/// The fields of the file's groups (`display`, `lab`, ...) that the group does not have (a
/// typo such as `"basin": true`), named as `display.basin (unknown)`.
fn unknown_group_fields(
    map: &serde_json::Map<String, serde_json::Value>,
    defaults: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    use serde_json::Value;
    let name = crate::engine::format::one_line;
    let mut unknown = Vec::new();
    for (group, value) in map {
        if let (Value::Object(given), Some(Value::Object(fields))) = (value, defaults.get(group)) {
            unknown.extend(
                given
                    .keys()
                    .filter(|k| !fields.contains_key(*k))
                    .map(|k| format!("{}.{} (unknown)", name(group), name(k))),
            );
        }
    }
    unknown
}

/// The fields of the file's runs, and of their optimizers, that a run does not have (a
/// typo, a field of another program), named as `runs 2.optimizer.betta1 (unknown)`.
fn unknown_run_fields(map: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    use serde_json::Value;
    let Some(Value::Array(runs)) = map.get("runs") else {
        return Vec::new();
    };
    let known = |value: serde_json::Result<Value>| match value {
        Ok(Value::Object(fields)) => fields.keys().cloned().collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let run_fields = known(serde_json::to_value(super::simulation::RunSetup {
        start: Vec::new(),
        optimizer: crate::engine::OptimizerConfig::default(),
        color: 0,
        batch: None,
    }));
    let optimizer_fields = known(serde_json::to_value(
        crate::engine::OptimizerConfig::default(),
    ));
    let name = crate::engine::format::one_line;
    let mut unknown = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let Value::Object(run) = run else { continue };
        for (field, value) in run {
            if !run_fields.contains(field) {
                unknown.push(format!("runs {}.{} (unknown)", i + 1, name(field)));
            } else if field == "optimizer"
                && let Value::Object(optimizer) = value
            {
                unknown.extend(
                    optimizer
                        .keys()
                        .filter(|k| !optimizer_fields.contains(k))
                        .map(|k| format!("runs {}.optimizer.{} (unknown)", i + 1, name(k))),
                );
            }
        }
    }
    unknown
}

/// Reads a scenario file of at most [`MAX_BYTES`].
pub fn read(path: &Path) -> Result<(Settings, Vec<String>), String> {
    let text = crate::cli::read_text_file(path, MAX_BYTES)?;
    from_text(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes the scenario of `settings` to `path` whole (a temporary file renamed into place).
pub fn write(path: &Path, settings: &Settings) -> Result<(), String> {
    StateFile {
        path: path.to_path_buf(),
    }
    .save(&to_text(settings))
    .map_err(|e| e.replace("the session", "the scenario"))
}

/// A JSON value read only to refuse an object holding the same key twice (`"lr": 0.1,
/// "lr": 5`), which would otherwise keep the last silently.
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "the key \"{}\" is given twice in one object; keep one",
                    crate::engine::format::one_line(&key)
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(self)
    }
}
