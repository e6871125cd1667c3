//! Reading the files a host is given (documents, credentials, the import
//! state, a provisioning request, the component) without letting them
//! exhaust the host: only regular files are read, never a device or a FIFO,
//! and never more than a cap.

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest configuration document: Saviynt documents are a few KiB.
pub const MAX_DOCUMENT_BYTES: u64 = 4 << 20;
/// The most documents a config folder may hold.
pub const MAX_DOCUMENTS: usize = 64;
/// The largest credentials file.
pub const MAX_CREDENTIALS_BYTES: u64 = 64 << 10;
/// The largest provisioning request document.
pub const MAX_REQUEST_BYTES: u64 = 4 << 20;
/// The largest import state file.
pub const MAX_STATE_BYTES: u64 = 256 << 20;
/// The largest component file.
pub const MAX_COMPONENT_BYTES: u64 = 64 << 20;

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputFileError {
    /// It is a folder, a device, a FIFO or a socket.
    #[error("'{path}' is not a regular file ({kind}); only regular files are read")]
    NotARegularFile {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// It is larger than its cap.
    #[error("'{path}' is larger than {cap} bytes, the most a {what} may be")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What it is meant to be.
        what: &'static str,
        /// The cap.
        cap: u64,
    },
    /// It is not UTF-8 text.
    #[error("'{path}' is not UTF-8 text")]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// It could not be opened or read.
    #[error("cannot read '{path}': {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl InputFileError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Reads the regular file at `path`, a `what` of at most `cap` bytes.
///
/// The file is opened without blocking (a FIFO never waits for a writer),
/// checked on the open descriptor (so a symlink swapped in between cannot
/// change what is read), and read up to one byte past the cap.
pub fn read_capped(path: &Path, what: &'static str, cap: u64) -> Result<Vec<u8>, InputFileError> {
    let io = |source| InputFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = open_nonblocking(path).map_err(io)?;
    let file_type = file.metadata().map_err(io)?.file_type();
    if !file_type.is_file() {
        return Err(InputFileError::NotARegularFile {
            path: path.to_path_buf(),
            kind: kind_of(&file_type),
        });
    }
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(InputFileError::TooLarge {
            path: path.to_path_buf(),
            what,
            cap,
        });
    }
    Ok(bytes)
}

/// [`read_capped`], as UTF-8 text.
pub fn read_text_capped(
    path: &Path,
    what: &'static str,
    cap: u64,
) -> Result<String, InputFileError> {
    String::from_utf8(read_capped(path, what, cap)?).map_err(|_| InputFileError::NotText {
        path: path.to_path_buf(),
    })
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_within_its_cap_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.json");
        std::fs::write(&path, "{}").unwrap();
        assert_eq!("{}", read_text_capped(&path, "document", 2).unwrap());
        let error = read_text_capped(&path, "document", 1).unwrap_err();
        assert!(
            matches!(error, InputFileError::TooLarge { cap: 1, .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("the most a document may be"),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_fifos_and_folders_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let fifo = dir.path().join("fifo.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        for (path, kind) in [(&zero, "a device"), (&fifo, "a FIFO")] {
            let error = read_capped(path, "document", MAX_DOCUMENT_BYTES).unwrap_err();
            assert!(
                matches!(error, InputFileError::NotARegularFile { kind: k, .. } if k == kind),
                "{error}"
            );
        }
        let error = read_capped(dir.path(), "document", 10).unwrap_err();
        assert!(error.to_string().contains("a folder"), "{error}");
        let missing = read_capped(&dir.path().join("none"), "document", 10).unwrap_err();
        assert!(missing.is_not_found());
    }
}
