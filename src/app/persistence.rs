//! The session saved between starts: a JSON state file of descent's own, written whole and
//! checked, so a save that fails is reported (eframe's storage writes in the background and
//! swallows errors). Reading is field by field ([`super::Settings::from_state_text`]).

use std::path::{Path, PathBuf};

/// Where the session is saved.
#[derive(Clone, Debug, PartialEq)]
pub struct StateFile {
    /// The file's path.
    pub path: PathBuf,
}

impl StateFile {
    /// The state file in eframe's storage folder for descent, if the system has one.
    pub fn default_location() -> Option<Self> {
        eframe::storage_dir("descent").map(|dir| Self {
            path: dir.join("state.json"),
        })
    }

    /// The saved text, if the file exists and can be read.
    pub fn load(&self) -> Option<String> {
        std::fs::read_to_string(&self.path).ok()
    }

    /// Writes `text` to a temporary file beside the state file and renames it over, so a
    /// failed save never leaves half a file; the error names the file.
    pub fn save(&self, text: &str) -> Result<(), String> {
        let fail = |e: std::io::Error| {
            format!("could not save the session to {}: {e}", self.path.display())
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let partial = partial_path(&self.path);
        std::fs::write(&partial, text).map_err(fail)?;
        std::fs::rename(&partial, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            fail(e)
        })
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}
