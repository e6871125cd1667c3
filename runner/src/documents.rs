//! Reading a `--config DIR` of Saviynt-style JSON documents.

use std::path::Path;

use std::path::PathBuf;

use crate::bindings::types::Document;
use crate::files::{HostFileError, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, read_text_capped};

/// Why a config folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigDirError {
    /// The folder could not be listed.
    #[error("while reading the config folder '{}'", .path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why it could not be listed.
        source: std::io::Error,
    },
    /// An entry of the folder could not be read.
    #[error(transparent)]
    Entry(#[from] std::io::Error),
    /// The folder holds more than [`MAX_DOCUMENTS`] documents.
    #[error("the config folder '{}' holds more than {MAX_DOCUMENTS} documents", .0.display())]
    TooMany(PathBuf),
    /// A document is not a regular file, or is too large or not text.
    #[error(transparent)]
    Document(#[from] HostFileError),
}

/// Reads every `NAME.json` in `dir` as the document `NAME`: regular files
/// only, each of at most [`MAX_DOCUMENT_BYTES`], at most [`MAX_DOCUMENTS`]
/// of them. The connector checks names and content, and reports which
/// document is wrong.
pub fn read_config_dir(dir: &Path) -> Result<Vec<Document>, ConfigDirError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigDirError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut documents = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if documents.len() == MAX_DOCUMENTS {
            return Err(ConfigDirError::TooMany(dir.to_path_buf()));
        }
        let json = read_text_capped(&path, "configuration document", MAX_DOCUMENT_BYTES)?;
        documents.push(Document {
            name: name.to_string(),
            json,
        });
    }
    documents.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(documents)
}
