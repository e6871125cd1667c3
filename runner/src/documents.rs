//! Reading a `--config DIR` of Saviynt-style JSON documents.

use std::path::Path;

use anyhow::Context as _;

use crate::bindings::types::Document;
use crate::files::{MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, read_text_capped};

/// Reads every `NAME.json` in `dir` as the document `NAME`: regular files
/// only, each of at most [`MAX_DOCUMENT_BYTES`], at most [`MAX_DOCUMENTS`]
/// of them. The connector checks names and content, and reports which
/// document is wrong.
pub fn read_config_dir(dir: &Path) -> anyhow::Result<Vec<Document>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("while reading the config folder '{}'", dir.display()))?;
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
            anyhow::bail!(
                "the config folder '{}' holds more than {MAX_DOCUMENTS} documents",
                dir.display()
            );
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
