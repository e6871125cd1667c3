//! The import state file, kept between runs with `--state FILE`.
//!
//! The connector owns the state's contents; the host only keeps it, and
//! neither holds it whole: it is read in pieces ([`StateFile::open`]) and
//! the new one written in pieces to a private temp file beside it
//! ([`StateFile::begin`]), which replaces the old file atomically (synced,
//! renamed over it) only when the import succeeds
//! ([`NewState::commit`]). A crash or a failed run leaves the previous state
//! whole, and no temp file. A file that cannot be read is an error, never a
//! silent fresh start: a fresh start would forget what to suspend. A path
//! that is a symbolic link is refused, read or written (see
//! [`StateFileError::Link`]).

use std::io::{BufWriter, Read, Seek as _, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::files::{HostFileError, MAX_STATE_BYTES, open_capped};

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The file exists but does not hold text.
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
    /// The path is a symbolic link. A state is replaced by renaming a new
    /// file over the old one, which would replace the link itself and leave
    /// the file it points to behind, stale, for whatever else reads it;
    /// writing through the link instead would replace a file the runner
    /// was never given, wherever the link points. Neither is what someone
    /// who made the link expects, so it is refused, and left as it is.
    #[error(
        "the state file '{path}' is a symbolic link (to '{target}'); it was left as it is. A \
         state is replaced by renaming a new file over it, which would replace the link and \
         not the file it points to: give the file's own path instead"
    )]
    Link {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
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

/// The kept state, checked, to be read in pieces from its start.
pub type KeptState = std::io::Take<std::fs::File>;

impl StateFile {
    /// The state kept at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The state kept, checked to be text (in pieces, never whole), or
    /// `None` before the first successful import. What the text says is
    /// the connector's to read.
    pub fn open(&self) -> Result<Option<KeptState>, StateFileError> {
        self.refuse_link()?;
        let mut file = match open_capped(&self.path, "state file", MAX_STATE_BYTES) {
            Ok(file) => file,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(HostFileError::Io { error, .. }) => return Err(self.io(error)),
            Err(other) => return Err(StateFileError::Unreadable(other)),
        };
        let mut text = Utf8Reader::new((&file).take(MAX_STATE_BYTES));
        let read = std::io::copy(&mut text, &mut std::io::sink());
        if text.not_text {
            return Err(self.corrupt("it is not UTF-8 text".to_string()));
        }
        if let Some(error) = text.failed {
            return Err(self.io(error));
        }
        read.map_err(|e| self.io(e))?;
        file.rewind().map_err(|e| self.io(e))?;
        Ok(Some(file.take(MAX_STATE_BYTES)))
    }

    /// Starts a new state: a temp file beside the kept one, readable by the
    /// owner only, that replaces it when committed and is removed otherwise.
    pub fn begin(&self) -> Result<NewState, StateFileError> {
        self.refuse_link()?;
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".state-")
            .tempfile_in(dir)
            .map_err(|e| self.io(e))?;
        Ok(NewState {
            file: self.clone(),
            dir: dir.to_path_buf(),
            temp: BufWriter::new(temp),
        })
    }

    /// Refuses a path that is a symbolic link, dangling or not.
    fn refuse_link(&self) -> Result<(), StateFileError> {
        match std::fs::symlink_metadata(&self.path) {
            Ok(found) if found.file_type().is_symlink() => Err(StateFileError::Link {
                path: self.path.clone(),
                target: std::fs::read_link(&self.path).unwrap_or_default(),
            }),
            _ => Ok(()),
        }
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

/// A new state being written; [`NewState::commit`] makes it the kept one,
/// and dropping it removes it.
#[derive(Debug)]
pub struct NewState {
    file: StateFile,
    dir: PathBuf,
    temp: BufWriter<NamedTempFile>,
}

impl NewState {
    /// Replaces the kept state with this one, atomically.
    pub fn commit(self) -> Result<(), StateFileError> {
        let Self { file, dir, temp } = self;
        let commit = || -> std::io::Result<()> {
            let temp = temp.into_inner().map_err(|e| e.into_error())?;
            temp.as_file().sync_all()?;
            temp.persist(&file.path).map_err(|e| e.error)?;
            // The rename is durable once the folder is.
            #[cfg(unix)]
            std::fs::File::open(&dir)?.sync_all()?;
            Ok(())
        };
        commit().map_err(|source| file.io(source))
    }
}

impl Write for NewState {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.temp.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
}

/// Passes bytes on, noting whether they are UTF-8 text, whatever the
/// pieces they come in.
struct Utf8Reader<R> {
    inner: R,
    /// The start of a character cut off by the end of the last read.
    partial: Vec<u8>,
    not_text: bool,
    /// The read that failed, if one did.
    failed: Option<std::io::Error>,
}

impl<R: Read> Utf8Reader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            partial: Vec::new(),
            not_text: false,
            failed: None,
        }
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer).inspect_err(|e| {
            self.failed = Some(std::io::Error::new(e.kind(), e.to_string()));
        })?;
        if read == 0 {
            self.not_text |= !self.partial.is_empty();
            return Ok(0);
        }
        self.partial.extend_from_slice(&buffer[..read]);
        match std::str::from_utf8(&self.partial) {
            Ok(_) => self.partial.clear(),
            Err(e) if e.error_len().is_none() => {
                self.partial.drain(..e.valid_up_to());
            }
            Err(_) => {
                self.not_text = true;
                return Err(std::io::ErrorKind::InvalidData.into());
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state kept in `file`, read whole.
    fn load(file: &StateFile) -> Result<Option<String>, StateFileError> {
        Ok(file.open()?.map(|mut kept| {
            let mut text = String::new();
            kept.read_to_string(&mut text).unwrap();
            text
        }))
    }

    /// Keeps `state` in `file`.
    fn save(file: &StateFile, state: &str) -> Result<(), StateFileError> {
        let mut new = file.begin()?;
        new.write_all(state.as_bytes()).unwrap();
        new.commit()
    }

    #[test]
    fn a_missing_file_is_no_state_and_a_saved_one_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("state.json"));
        assert!(load(&file).unwrap().is_none());
        save(&file, r#"{"format":1}"#).unwrap();
        assert_eq!(Some(r#"{"format":1}"#.to_string()), load(&file).unwrap());
        save(&file, r#"{"format":2}"#).unwrap();
        assert_eq!(Some(r#"{"format":2}"#.to_string()), load(&file).unwrap());
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
    fn a_file_that_is_not_text_is_corrupt_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        for bytes in [&b"\xff\xfe"[..], b"#accounts\n\xc3"] {
            std::fs::write(&path, bytes).unwrap();
            let error = load(&StateFile::new(&path)).unwrap_err().to_string();
            assert!(error.contains("is corrupt"), "{error}");
            assert_eq!(bytes, std::fs::read(&path).unwrap());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_refused_and_neither_it_nor_its_target_changes() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept.state");
        std::fs::write(&kept, "kept").unwrap();
        let link = dir.path().join("link.state");
        std::os::unix::fs::symlink(&kept, &link).unwrap();
        let dangling = dir.path().join("dangling.state");
        std::os::unix::fs::symlink(dir.path().join("none"), &dangling).unwrap();
        for path in [&link, &dangling] {
            let file = StateFile::new(path);
            let error = load(&file).unwrap_err();
            assert!(matches!(error, StateFileError::Link { .. }), "{error}");
            assert!(error.to_string().contains("is a symbolic link"), "{error}");
            let error = file.begin().unwrap_err();
            assert!(matches!(error, StateFileError::Link { .. }), "{error}");
            assert!(
                std::fs::symlink_metadata(path)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
        assert_eq!("kept", std::fs::read_to_string(&kept).unwrap());
        assert_eq!(3, std::fs::read_dir(dir.path()).unwrap().count());
    }

    #[test]
    fn a_state_not_committed_leaves_the_kept_one_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("state.json"));
        save(&file, r#"{"format":1}"#).unwrap();
        let mut abandoned = file.begin().unwrap();
        abandoned.write_all(br#"{"format":2"#).unwrap();
        drop(abandoned);
        assert_eq!(Some(r#"{"format":1}"#.to_string()), load(&file).unwrap());
        assert_eq!(1, std::fs::read_dir(dir.path()).unwrap().count());
    }

    #[test]
    fn text_that_is_not_utf8_is_corrupt_wherever_the_reads_cut_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut text = b"{\"name\":\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', 8182));
        text.extend("é\"}".as_bytes());
        std::fs::write(&path, &text).unwrap();
        assert!(
            load(&StateFile::new(&path)).unwrap().is_some(),
            "a character split by a read is text"
        );
        text.insert(9, 0xff);
        std::fs::write(&path, &text).unwrap();
        let error = load(&StateFile::new(&path)).unwrap_err().to_string();
        assert!(error.contains("it is not UTF-8 text"), "{error}");
    }
}
