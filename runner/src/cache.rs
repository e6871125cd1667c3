//! The precompiled-component cache: a component is compiled once per
//! wasmtime build and configuration, then loaded from disk.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The default cache folder: `$XDG_CACHE_HOME/confluent-connector`, else
/// `$HOME/.cache/confluent-connector`, else the system temp folder.
pub fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("confluent-connector")
}

/// The artifact's file name: the component's SHA-256 and the engine's
/// compatibility hash, so a new component or a new wasmtime misses the cache.
fn key(engine: &Engine, component: &[u8]) -> String {
    let mut compat = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let digest = Sha256::digest(component);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{:016x}.cwasm", compat.finish())
}

/// Loads `bytes` as a component, from the cache in `dir` when it holds it,
/// else compiling it and storing the artifact. Returns whether it was a hit.
pub fn load(engine: &Engine, bytes: &[u8], dir: &Path) -> anyhow::Result<(Component, bool)> {
    let path = dir.join(key(engine, bytes));
    if path.is_file() {
        match deserialize(engine, &path) {
            Ok(component) => return Ok((component, true)),
            Err(error) => tracing::warn!(
                "ignoring unusable cached artifact {}: {error:#}",
                path.display()
            ),
        }
    }
    let artifact = engine
        .precompile_component(bytes)
        .map_err(anyhow::Error::from)
        .context("while compiling the component")?;
    if let Err(error) = store(dir, &path, &artifact) {
        tracing::warn!(
            "could not cache the compiled component in {}: {error:#}",
            dir.display()
        );
    }
    let component = Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .context("while compiling the component")?;
    Ok((component, false))
}

#[expect(
    unsafe_code,
    reason = "wasmtime can only load precompiled artifacts unsafely"
)]
fn deserialize(engine: &Engine, path: &Path) -> anyhow::Result<Component> {
    // SAFETY: the file is one this module wrote, atomically, into a cache
    // folder created owner-only, under a name bound to the component's hash
    // and this engine's compatibility hash.
    Ok(unsafe { Component::deserialize_file(engine, path) }?)
}

fn store(dir: &Path, path: &Path, artifact: &[u8]) -> anyhow::Result<()> {
    create_private_dir(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(artifact)?;
    temp.as_file().sync_all()?;
    temp.persist(path)?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
