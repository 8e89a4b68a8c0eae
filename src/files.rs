//! Files written whole or not at all: the bytes go to a temporary file beside the target,
//! which is renamed over it once complete, so a crash, a full disk or a cancelled export
//! never leaves half a file (and never destroys the previous one).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The temporary file beside `path` that [`write_atomically`] fills: `NAME.partial`.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Writes `path` through `write`, whole or not at all; on any error the temporary file is
/// removed and `path` is left as it was. An error on creating the file names the folder
/// when the system's own words would mislead ("No such file or directory" for a file in
/// `/proc`, which exists but takes no new files).
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let partial = partial_path(path);
    let result = create(&partial).and_then(|file| {
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        drop(out);
        std::fs::rename(&partial, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Creates `partial`, the error said as [`named_folder`] says it.
fn create(partial: &Path) -> io::Result<File> {
    File::create(partial).map_err(|e| named_folder(partial, e))
}

/// The error `e` on creating the file `path`, saying which folder is missing or that the
/// folder takes no new files when the system said only that the file does not exist.
pub fn named_folder(path: &Path, e: io::Error) -> io::Error {
    let Some(folder) = path
        .parent()
        .filter(|_| e.kind() == io::ErrorKind::NotFound)
    else {
        return e;
    };
    let folder = match folder.as_os_str().is_empty() {
        true => Path::new("."),
        false => folder,
    };
    let why = match folder.is_dir() {
        true => format!("the folder {} takes no new files", folder.display()),
        false => format!("the folder {} does not exist", folder.display()),
    };
    io::Error::new(e.kind(), why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_partial() {
        let dir = std::env::temp_dir().join(format!("descent-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kept.txt");
        write_atomically(&path, |out| out.write_all(b"first")).unwrap();
        let error = write_atomically(&path, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("the disk is full"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "the disk is full");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        assert!(!partial_path(&path).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_that_is_missing_or_takes_no_files_is_named() {
        let missing = std::env::temp_dir().join("descent-no-such-folder/x.csv");
        let error = write_atomically(&missing, |_| Ok(())).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("descent-no-such-folder does not exist"),
            "{error}"
        );
        // /proc exists and refuses new files with "No such file or directory".
        if Path::new("/proc").is_dir() {
            let error = write_atomically(Path::new("/proc/x.csv"), |_| Ok(())).unwrap_err();
            assert!(
                error
                    .to_string()
                    .starts_with("the folder /proc takes no new files"),
                "{error}"
            );
        }
    }
}
