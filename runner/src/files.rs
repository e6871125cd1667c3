//! The files a host is given: reading them (documents, credentials, the
//! import state, a provisioning request, the component) without letting them
//! exhaust the host, and creating the output file without letting it be
//! turned against the host. Only regular files are read or written, never a
//! device, a FIFO or (for output) a planted link, and never more than a cap
//! is read.

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

/// Why a file could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum HostFileError {
    /// Another user could have written it.
    #[error("'{path}' {reason}; only files that no other user can change are loaded")]
    Untrusted {
        /// The file.
        path: PathBuf,
        /// Who else could have written it.
        reason: &'static str,
    },
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
    /// It could not be opened, read or written.
    // The reason is part of the message, and not a source: a chain of
    // causes would print it twice.
    #[error("cannot use '{path}': {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

impl HostFileError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Reads the regular file at `path`, a `what` of at most `cap` bytes.
///
/// The file is opened without blocking (a FIFO never waits for a writer),
/// checked on the open descriptor (so a symlink swapped in between cannot
/// change what is read), and read up to one byte past the cap.
pub fn read_capped(path: &Path, what: &'static str, cap: u64) -> Result<Vec<u8>, HostFileError> {
    read_open(path, what, cap, open_regular(path)?)
}

/// Opens the regular file at `path`, a `what` of at most `cap` bytes, to be
/// read in pieces; opened and checked as [`read_capped`] does.
pub fn open_capped(
    path: &Path,
    what: &'static str,
    cap: u64,
) -> Result<std::fs::File, HostFileError> {
    let file = open_regular(path)?;
    let length = file.metadata().map_err(|e| io_error(path, e))?.len();
    if length > cap {
        return Err(HostFileError::TooLarge {
            path: path.to_path_buf(),
            what,
            cap,
        });
    }
    Ok(file)
}

/// [`read_capped`] for a file whose contents the host runs (the component):
/// on Unix it must also belong to the current user or root and be writable
/// by no one else.
pub fn read_trusted_capped(
    path: &Path,
    what: &'static str,
    cap: u64,
) -> Result<Vec<u8>, HostFileError> {
    let file = open_regular(path)?;
    #[cfg(unix)]
    {
        let stat = rustix::fs::fstat(&file).map_err(|e| io_error(path, e.into()))?;
        let mode = stat.st_mode;
        let reason = if stat.st_uid != rustix::process::geteuid().as_raw() && stat.st_uid != 0 {
            Some("belongs to another user")
        } else if mode & 0o022 != 0 {
            Some("can be written by its group or by others")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(HostFileError::Untrusted {
                path: path.to_path_buf(),
                reason,
            });
        }
    }
    read_open(path, what, cap, file)
}

/// Opens `path` for reading, a regular file only. It is checked before it
/// is opened (so no device or FIFO is ever opened) and again on the open
/// descriptor (so a link swapped in between changes nothing).
fn open_regular(path: &Path) -> Result<std::fs::File, HostFileError> {
    let io = |source| io_error(path, source);
    refuse_unless_regular(path, &std::fs::metadata(path).map_err(io)?.file_type())?;
    let file = open_nonblocking(path).map_err(io)?;
    refuse_unless_regular(path, &file.metadata().map_err(io)?.file_type())?;
    Ok(file)
}

fn refuse_unless_regular(path: &Path, file_type: &std::fs::FileType) -> Result<(), HostFileError> {
    if file_type.is_file() {
        return Ok(());
    }
    Err(HostFileError::NotARegularFile {
        path: path.to_path_buf(),
        kind: kind_of(file_type),
    })
}

fn io_error(path: &Path, error: std::io::Error) -> HostFileError {
    HostFileError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Reads the open `file` up to one byte past `cap`.
fn read_open(
    path: &Path,
    what: &'static str,
    cap: u64,
    file: std::fs::File,
) -> Result<Vec<u8>, HostFileError> {
    let io = |source| io_error(path, source);
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(HostFileError::TooLarge {
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
) -> Result<String, HostFileError> {
    String::from_utf8(read_capped(path, what, cap)?).map_err(|_| HostFileError::NotText {
        path: path.to_path_buf(),
    })
}

/// Creates (or empties) the output file at `path`, readable by the owner
/// only when it is new. A link at `path` is not followed, and anything but a
/// regular file there (a FIFO, a device) is refused rather than written to.
pub fn create_output(path: &Path) -> Result<std::fs::File, HostFileError> {
    let io = |source| io_error(path, source);
    match std::fs::symlink_metadata(path) {
        Ok(found) if found.file_type().is_symlink() => {
            return Err(HostFileError::NotARegularFile {
                path: path.to_path_buf(),
                kind: "a symbolic link",
            });
        }
        Ok(found) => refuse_unless_regular(path, &found.file_type())?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io(error)),
    }
    // Checked again on the descriptor: a link or a FIFO swapped in since is
    // refused by the open itself or by the check after it.
    let file = open_output(path).map_err(io)?;
    refuse_unless_regular(path, &file.metadata().map_err(io)?.file_type())?;
    file.set_len(0).map_err(io)?;
    Ok(file)
}

#[cfg(unix)]
fn open_output(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(flags.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_output(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
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
            matches!(error, HostFileError::TooLarge { cap: 1, .. }),
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
                matches!(error, HostFileError::NotARegularFile { kind: k, .. } if k == kind),
                "{error}"
            );
        }
        let error = read_capped(dir.path(), "document", 10).unwrap_err();
        assert!(error.to_string().contains("a folder"), "{error}");
        let missing = read_capped(&dir.path().join("none"), "document", 10).unwrap_err();
        assert!(missing.is_not_found());
    }

    #[cfg(unix)]
    #[test]
    fn output_is_a_new_private_file_or_an_emptied_regular_one_never_a_link_or_fifo() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.csv");
        std::io::Write::write_all(&mut create_output(&out).unwrap(), b"first run").unwrap();
        assert_eq!(
            0o600,
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777
        );
        create_output(&out).unwrap();
        assert_eq!("", std::fs::read_to_string(&out).unwrap(), "emptied");

        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let error = create_output(&link).unwrap_err();
        assert!(error.to_string().contains("a symbolic link"), "{error}");
        assert_eq!("keep me", std::fs::read_to_string(&victim).unwrap());

        let fifo = dir.path().join("fifo.csv");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let error = create_output(&fifo).unwrap_err();
        assert!(error.to_string().contains("a FIFO"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_write_is_not_loaded_as_code() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let component = dir.path().join("c.wasm");
        std::fs::write(&component, b"\0asm").unwrap();
        assert!(read_trusted_capped(&component, "component", 10).is_ok());
        for mode in [0o666, 0o620] {
            std::fs::set_permissions(&component, std::fs::Permissions::from_mode(mode)).unwrap();
            let error = read_trusted_capped(&component, "component", 10).unwrap_err();
            assert!(matches!(error, HostFileError::Untrusted { .. }), "{error}");
        }
    }
}
