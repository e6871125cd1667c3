//! The import state file, kept between runs with `--state FILE`.
//!
//! The connector owns the state's contents; the host only keeps it. It is
//! replaced atomically (a temp file in the same folder, synced, renamed over
//! the old one) and only after a successful import, so a crash or a failed
//! run leaves the previous state whole. A file that cannot be read is an
//! error, never a silent fresh start: a fresh start would forget what to
//! suspend.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::files::{HostFileError, MAX_STATE_BYTES, read_text_capped};

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The file exists but does not hold JSON.
    #[error(
        "the state file '{path}' is corrupt ({reason}); it was left as it is. Restore it from a \
         backup, or remove it to start over with a full import that marks nothing gone"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The path is not a regular file, or the file is too large.
    #[error("the state file: {0}")]
    Unreadable(HostFileError),
    /// The file could not be read or written.
    #[error("the state file '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

/// Where an import's state is kept.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state kept at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state kept, or `None` before the first successful import.
    pub fn load(&self) -> Result<Option<String>, StateFileError> {
        let text = match read_text_capped(&self.path, "state file", MAX_STATE_BYTES) {
            Ok(text) => text,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(HostFileError::NotText { .. }) => {
                return Err(self.corrupt("it is not UTF-8 text".to_string()));
            }
            Err(HostFileError::Io { source, .. }) => return Err(self.io(source)),
            Err(other) => return Err(StateFileError::Unreadable(other)),
        };
        serde_json::from_str::<serde::de::IgnoredAny>(&text)
            .map_err(|e| self.corrupt(format!("not JSON: {e}")))?;
        Ok(Some(text))
    }

    /// Replaces the kept state with `state`, atomically, readable by the
    /// owner only.
    pub fn save(&self, state: &str) -> Result<(), StateFileError> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let write = || -> std::io::Result<()> {
            let mut temp = tempfile::Builder::new()
                .prefix(".state-")
                .tempfile_in(dir)?;
            temp.write_all(state.as_bytes())?;
            temp.as_file().sync_all()?;
            temp.persist(&self.path).map_err(|e| e.error)?;
            // The rename is durable once the folder is.
            #[cfg(unix)]
            std::fs::File::open(dir)?.sync_all()?;
            Ok(())
        };
        write().map_err(|source| self.io(source))
    }

    fn corrupt(&self, reason: String) -> StateFileError {
        StateFileError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }

    fn io(&self, source: std::io::Error) -> StateFileError {
        StateFileError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_no_state_and_a_saved_one_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("state.json"));
        assert!(file.load().unwrap().is_none());
        file.save(r#"{"format":1}"#).unwrap();
        assert_eq!(Some(r#"{"format":1}"#.to_string()), file.load().unwrap());
        file.save(r#"{"format":2}"#).unwrap();
        assert_eq!(Some(r#"{"format":2}"#.to_string()), file.load().unwrap());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            vec![std::ffi::OsString::from("state.json")],
            names,
            "no temp file is left behind"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(0o600, mode & 0o777);
        }
    }

    #[test]
    fn a_corrupt_file_is_an_error_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        for text in ["", "{\"format\":1,", "\u{0}garbage"] {
            std::fs::write(&path, text).unwrap();
            let error = StateFile::new(&path).load().unwrap_err().to_string();
            assert!(error.contains("is corrupt"), "{error}");
            assert_eq!(text, std::fs::read_to_string(&path).unwrap());
        }
    }
}
