//! The session saved between starts: a JSON state file of descent's own, written whole and
//! checked, so a save that fails is reported (eframe's storage writes in the background and
//! swallows errors). Reading is field by field ([`super::Settings::from_state_text`]).

use std::path::PathBuf;

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

    /// The saved text, if the file exists and can be read. A file that is not text (a
    /// damaged disk, an editor's mistake) still comes back, lossily decoded, so the window
    /// says it could not be read rather than greet a new user.
    pub fn load(&self) -> Option<String> {
        std::fs::read(&self.path)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
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
        crate::files::write_atomically(&self.path, |out| {
            std::io::Write::write_all(out, text.as_bytes())
        })
        .map_err(fail)
    }
}
