//! The precompiled-component cache: a component is compiled once per
//! wasmtime build and configuration, then loaded from disk.
//!
//! Loading a precompiled artifact runs its native code in the process that
//! holds the API secret, so the cache trusts nothing it did not write:
//!
//! - **The folder** must be a directory owned by the current user, writable
//!   by nobody else, and not a symbolic link; each folder above it must be
//!   owned by the user or by root and, unless it is sticky (`/tmp`),
//!   writable by neither group nor others. It is opened once, without
//!   following a link, and every file in it is reached through that
//!   descriptor, so it cannot be swapped for another after the checks.
//! - **Each artifact** is opened without following a link, checked on the
//!   open descriptor (a regular file, owned by the user, writable by nobody
//!   else) and read from it; the bytes checked are the bytes loaded.
//! - **Each artifact is authenticated.** The folder holds `key`, 32 random
//!   bytes readable by the user alone, created whole or not at all. An
//!   artifact file is an HMAC-SHA256 tag followed by the artifact, the tag
//!   taken over the file's name and the artifact; the name binds the
//!   component's hash and the engine's. A file whose tag does not match
//!   (planted, copied from elsewhere, or renamed from another component's)
//!   is ignored and replaced.
//!
//! Without `XDG_CACHE_HOME` or `HOME` there is no cache: the shared temp
//! folder is never used. When a check fails the component is compiled as if
//! there were no cache, with one warning saying why; the run goes on.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::WasmtimeError;
use crate::text::escape_controls;

/// The default cache folder: `$XDG_CACHE_HOME/confluent-connector`, else
/// `$HOME/.cache/confluent-connector`; each must be an absolute path. With
/// neither there is none: the shared temp folder is never a cache.
pub fn default_dir() -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|base| base.join("confluent-connector"))
}

/// The cache folder to use: `explicit` if given, else [`default_dir`];
/// without either, none, and a warning saying so.
pub fn chosen_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    let dir = explicit.map(Path::to_path_buf).or_else(default_dir);
    if dir.is_none() {
        tracing::warn!(
            "running without the compiled-component cache: neither XDG_CACHE_HOME nor HOME is \
             set to an absolute path"
        );
    }
    dir
}

/// The artifact's file name: the component's SHA-256 and the engine's
/// compatibility hash, so a new component or a new wasmtime misses the cache.
fn artifact_name(engine: &Engine, component: &[u8]) -> String {
    let mut compat = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let digest = Sha256::digest(component);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{:016x}.cwasm", compat.finish())
}

/// Why a component could not be compiled.
#[derive(Debug, thiserror::Error)]
#[error("wasmtime cannot compile it")]
pub struct CompileError(#[source] WasmtimeError);

impl From<wasmtime::Error> for CompileError {
    fn from(error: wasmtime::Error) -> Self {
        Self(error.into())
    }
}

/// Compiles `bytes` as a component, without the cache.
pub fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, CompileError> {
    Ok(Component::new(engine, bytes)?)
}

/// Loads `bytes` as a component, from the cache in `dir` when it holds a
/// genuine artifact for it, else compiling it and storing the artifact.
/// Returns whether it was a hit. A cache that fails a check is not used,
/// with a warning; only a component that does not compile is an error.
pub fn load(engine: &Engine, bytes: &[u8], dir: &Path) -> Result<(Component, bool), CompileError> {
    let cache = match CacheDir::open(dir) {
        Ok(cache) => cache,
        Err(reason) => {
            warn("running without the compiled-component cache", &reason);
            return Ok((compile(engine, bytes)?, false));
        }
    };
    let name = artifact_name(engine, bytes);
    match cache.read(&name) {
        Ok(Some(artifact)) => match deserialize(engine, &artifact) {
            Ok(component) => return Ok((component, true)),
            Err(error) => warn(&format!("ignoring the cached artifact {name}"), &error),
        },
        Ok(None) => {}
        Err(reason) => warn(&format!("ignoring the cached artifact {name}"), &reason),
    }
    let artifact = engine.precompile_component(bytes)?;
    if let Err(error) = cache.write(&name, &artifact) {
        let doing = format!(
            "could not cache the compiled component in {}",
            dir.display()
        );
        warn(&doing, &error);
    }
    Ok((deserialize(engine, &artifact)?, false))
}

/// Logs why the cache was not used, on one line: paths and reasons may
/// hold any character.
fn warn(what: &str, reason: &dyn std::fmt::Display) {
    tracing::warn!("{}", escape_controls(&format!("{what}: {reason:#}")));
}

#[expect(
    unsafe_code,
    reason = "wasmtime can only load precompiled artifacts unsafely"
)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `artifact` is either what this engine has just compiled, or
    // bytes read from a file only this user can write, whose tag proves that
    // this module wrote them, with this user's key, for this component and
    // this engine.
    unsafe { Component::deserialize(engine, artifact) }
}

#[cfg(unix)]
use private_dir::CacheDir;

/// Without Unix owners and modes nothing can be checked: no cache.
#[cfg(not(unix))]
struct CacheDir;

#[cfg(not(unix))]
impl CacheDir {
    fn open(_dir: &Path) -> anyhow::Result<Self> {
        anyhow::bail!("the cache is only kept on Unix systems")
    }

    fn read(&self, _name: &str) -> anyhow::Result<Option<Vec<u8>>> {
        unreachable!("never opened")
    }

    fn write(&self, _name: &str, _artifact: &[u8]) -> anyhow::Result<()> {
        unreachable!("never opened")
    }
}

/// The checked cache folder and its key, reached through one descriptor.
#[cfg(unix)]
mod private_dir {
    use std::io::{Read as _, Write as _};
    use std::os::fd::OwnedFd;
    use std::os::unix::fs::MetadataExt as _;
    use std::path::{Path, PathBuf};

    use anyhow::{Context as _, bail, ensure};
    use hmac::{Hmac, Mac as _};
    use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
    use rustix::io::Errno;
    use sha2::Sha256;

    /// The key's file name in the folder.
    const KEY_FILE: &str = "key";
    /// The key's length, and the tag's (HMAC-SHA256).
    const KEY_BYTES: usize = 32;
    const TAG_BYTES: usize = 32;

    /// Flags for reading a file in the folder: never through a link, never
    /// blocking on a FIFO.
    fn read_flags() -> OFlags {
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC
    }

    /// A cache folder that passed its checks.
    pub(super) struct CacheDir {
        dir: OwnedFd,
        key: [u8; KEY_BYTES],
    }

    impl CacheDir {
        /// Creates the folder (owner-only) when it is missing, checks it and
        /// the folders above it, and reads or creates its key.
        pub(super) fn open(dir: &Path) -> anyhow::Result<Self> {
            ensure!(
                !dir.as_os_str().is_empty(),
                "the cache folder is an empty path"
            );
            create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let dir = resolve_parents(dir)?;
            check_ancestors(&dir)?;
            let fd = rustix::fs::open(
                &dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|errno| match errno {
                Errno::LOOP | Errno::NOTDIR => {
                    anyhow::anyhow!("{} is not a directory of its own", dir.display())
                }
                other => anyhow::anyhow!("cannot open {}: {other}", dir.display()),
            })?;
            check_private(&rustix::fs::fstat(&fd)?, FileType::Directory)
                .with_context(|| format!("{} is not private", dir.display()))?;
            let key = read_or_create_key(&fd)?;
            Ok(Self { dir: fd, key })
        }

        /// The artifact stored as `name`, if there is one; an error when the
        /// file is there but fails a check or its tag does not match.
        pub(super) fn read(&self, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
            let fd = match rustix::fs::openat(&self.dir, name, read_flags(), Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) => return Ok(None),
                Err(Errno::LOOP) => bail!("it is a symbolic link"),
                Err(other) => bail!("cannot open it: {other}"),
            };
            check_private(&rustix::fs::fstat(&fd)?, FileType::RegularFile)?;
            let mut contents = Vec::new();
            std::fs::File::from(fd).read_to_end(&mut contents)?;
            ensure!(contents.len() > TAG_BYTES, "it is too short");
            let (tag, artifact) = contents.split_at(TAG_BYTES);
            self.mac(name, artifact)
                .verify_slice(tag)
                .map_err(|_| anyhow::anyhow!("its tag does not match this cache's key"))?;
            contents.drain(..TAG_BYTES);
            Ok(Some(contents))
        }

        /// Stores `artifact` as `name` with its tag, replacing whatever was
        /// there, whole or not at all.
        pub(super) fn write(&self, name: &str, artifact: &[u8]) -> anyhow::Result<()> {
            let tag = self.mac(name, artifact).finalize().into_bytes();
            let temp = write_temp(&self.dir, &[&tag, artifact])?;
            rustix::fs::renameat(&self.dir, &temp, &self.dir, name).inspect_err(|_| {
                let _ = rustix::fs::unlinkat(&self.dir, &temp, AtFlags::empty());
            })?;
            Ok(())
        }

        /// The MAC of an artifact stored under `name`.
        fn mac(&self, name: &str, artifact: &[u8]) -> Hmac<Sha256> {
            let mut mac =
                <Hmac<Sha256>>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
            mac.update(name.as_bytes());
            mac.update(&[0]);
            mac.update(artifact);
            mac
        }
    }

    fn create_private_dir(dir: &Path) -> std::io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)
    }

    /// `dir` with the folders above it resolved, its own last component
    /// kept as it is, so a link there is seen, not followed.
    fn resolve_parents(dir: &Path) -> anyhow::Result<PathBuf> {
        let name = dir
            .file_name()
            .with_context(|| format!("{} does not name a folder", dir.display()))?;
        let parent = match dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let parent = parent
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", parent.display()))?;
        Ok(parent.join(name))
    }

    /// Each folder above `dir` is owned by the user or root and, unless it
    /// is sticky, writable by neither group nor others: nobody else can
    /// move `dir` or put another in its place.
    fn check_ancestors(dir: &Path) -> anyhow::Result<()> {
        let euid = rustix::process::geteuid().as_raw();
        for ancestor in dir.ancestors().skip(1) {
            let meta = std::fs::metadata(ancestor)
                .with_context(|| format!("cannot inspect {}", ancestor.display()))?;
            let mode = Mode::from_raw_mode(meta.mode());
            ensure!(
                meta.uid() == euid || meta.uid() == 0,
                "{} belongs to another user",
                ancestor.display()
            );
            ensure!(
                mode.contains(Mode::SVTX) || !mode.intersects(Mode::WGRP | Mode::WOTH),
                "{} is writable by other users",
                ancestor.display()
            );
        }
        Ok(())
    }

    /// An open file is of `kind`, owned by the user, and writable by nobody
    /// else.
    fn check_private(stat: &Stat, kind: FileType) -> anyhow::Result<()> {
        let actual = FileType::from_raw_mode(stat.st_mode);
        ensure!(actual == kind, "it is a {actual:?}, not a {kind:?}");
        ensure!(
            stat.st_uid == rustix::process::geteuid().as_raw(),
            "it belongs to another user"
        );
        ensure!(
            !Mode::from_raw_mode(stat.st_mode).intersects(Mode::WGRP | Mode::WOTH),
            "it is writable by other users"
        );
        Ok(())
    }

    /// The folder's key, created on first use: written to a temporary file
    /// and linked into place, so a reader sees a whole key or none, and of
    /// two runs creating it at once, both end up with the one that won.
    fn read_or_create_key(dir: &OwnedFd) -> anyhow::Result<[u8; KEY_BYTES]> {
        if let Some(key) = read_key(dir)? {
            return Ok(key);
        }
        let mut key = [0; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no random key: {e}"))?;
        let temp = write_temp(dir, &[&key])?;
        let linked = rustix::fs::linkat(dir, &temp, dir, KEY_FILE, AtFlags::empty());
        let _ = rustix::fs::unlinkat(dir, &temp, AtFlags::empty());
        match linked {
            Ok(()) => Ok(key),
            Err(Errno::EXIST) => read_key(dir)?.context("the key vanished"),
            Err(other) => bail!("cannot store the key: {other}"),
        }
    }

    /// Reads the key, if there is one: a regular file of the user's that
    /// nobody else can read or write, of exactly [`KEY_BYTES`].
    fn read_key(dir: &OwnedFd) -> anyhow::Result<Option<[u8; KEY_BYTES]>> {
        let fd = match rustix::fs::openat(dir, KEY_FILE, read_flags(), Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => bail!("the key is a symbolic link"),
            Err(other) => bail!("cannot open the key: {other}"),
        };
        let stat = rustix::fs::fstat(&fd)?;
        check_private(&stat, FileType::RegularFile).context("the key is not private")?;
        ensure!(
            !Mode::from_raw_mode(stat.st_mode).intersects(Mode::RWXG | Mode::RWXO),
            "the key is readable by other users"
        );
        let mut key = [0; KEY_BYTES];
        let mut file = std::fs::File::from(fd);
        file.read_exact(&mut key).context("the key is too short")?;
        ensure!(file.read(&mut [0])? == 0, "the key is too long");
        Ok(Some(key))
    }

    /// Writes `parts` to a new owner-only file with a random name in `dir`
    /// and syncs it; returns its name.
    fn write_temp(dir: &OwnedFd, parts: &[&[u8]]) -> anyhow::Result<String> {
        let suffix = getrandom::u64().map_err(|e| anyhow::anyhow!("no random name: {e}"))?;
        let name = format!(".tmp-{suffix:016x}");
        let fd = rustix::fs::openat(
            dir,
            &name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::RUSR | Mode::WUSR,
        )?;
        let mut file = std::fs::File::from(fd);
        let written = parts
            .iter()
            .try_for_each(|part| file.write_all(part))
            .and_then(|()| file.sync_all());
        if let Err(error) = written {
            let _ = rustix::fs::unlinkat(dir, &name, AtFlags::empty());
            return Err(error.into());
        }
        Ok(name)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// The smallest component: the preamble alone.
    const COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";
    /// Another component: the same with a custom section.
    const OTHER_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00\x00\x04\x03abc";

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn hit(engine: &Engine, dir: &Path) -> bool {
        load(engine, COMPONENT, dir).unwrap().1
    }

    /// A cache folder holding a genuine artifact for [`COMPONENT`], and its path.
    fn filled_cache(engine: &Engine) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("cache");
        assert!(!hit(engine, &dir), "an empty cache misses");
        let artifact = dir.join(artifact_name(engine, COMPONENT));
        (root, dir, artifact)
    }

    #[test]
    fn a_genuine_artifact_is_a_hit_in_a_private_folder_with_a_private_key() {
        let engine = Engine::default();
        let (_root, dir, artifact) = filled_cache(&engine);
        assert!(hit(&engine, &dir));
        assert_eq!(0o700, mode(&dir));
        assert_eq!(0o600, mode(&dir.join("key")));
        assert_eq!(0o600, mode(&artifact));
        let name = artifact.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(vec![name, "key".to_string()], entries(&dir));
    }

    #[test]
    fn a_folder_writable_by_group_or_others_is_not_used() {
        let engine = Engine::default();
        for folder_mode in [0o777, 0o770, 0o702] {
            let root = tempfile::tempdir().unwrap();
            let dir = root.path().join("cache");
            std::fs::create_dir(&dir).unwrap();
            set_mode(&dir, folder_mode);
            assert!(!hit(&engine, &dir));
            assert!(!hit(&engine, &dir), "{folder_mode:o}");
            assert!(
                entries(&dir).is_empty(),
                "{folder_mode:o}: nothing is written"
            );
        }
    }

    #[test]
    fn a_folder_inside_a_folder_writable_by_others_is_not_used() {
        let engine = Engine::default();
        let root = tempfile::tempdir().unwrap();
        let shared = root.path().join("shared");
        let dir = shared.join("cache");
        std::fs::create_dir_all(&dir).unwrap();
        set_mode(&shared, 0o777);
        assert!(!hit(&engine, &dir));
        assert!(entries(&dir).is_empty());
    }

    #[test]
    fn a_folder_that_is_a_symlink_is_not_used() {
        let engine = Engine::default();
        let (root, dir, _) = filled_cache(&engine);
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(!hit(&engine, &link));
        assert!(hit(&engine, &dir), "the folder itself is still fine");
    }

    #[test]
    fn an_artifact_that_is_a_symlink_is_refused_and_replaced() {
        let engine = Engine::default();
        let (root, dir, artifact) = filled_cache(&engine);
        let elsewhere = root.path().join("elsewhere.cwasm");
        std::fs::rename(&artifact, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &artifact).unwrap();
        assert!(!hit(&engine, &dir), "a genuine artifact behind a link");
        assert!(std::fs::symlink_metadata(&artifact).unwrap().is_file());
        assert!(hit(&engine, &dir));
    }

    #[test]
    fn a_planted_artifact_with_a_wrong_tag_is_refused_and_replaced() {
        let engine = Engine::default();
        let (_root, dir, artifact) = filled_cache(&engine);
        let planted = engine.precompile_component(OTHER_COMPONENT).unwrap();
        for tag in [[0u8; 32], [0xa5; 32]] {
            std::fs::write(&artifact, [&tag[..], &planted].concat()).unwrap();
            assert!(!hit(&engine, &dir));
            assert!(hit(&engine, &dir), "the genuine artifact took its place");
        }
        std::fs::write(&artifact, &planted).unwrap();
        assert!(!hit(&engine, &dir), "an untagged artifact");
        std::fs::write(&artifact, b"short").unwrap();
        assert!(!hit(&engine, &dir), "a truncated file");
    }

    #[test]
    fn an_artifact_renamed_from_another_component_is_refused() {
        let engine = Engine::default();
        let (_root, dir, artifact) = filled_cache(&engine);
        assert!(!load(&engine, OTHER_COMPONENT, &dir).unwrap().1);
        let other = dir.join(artifact_name(&engine, OTHER_COMPONENT));
        std::fs::rename(&other, &artifact).unwrap();
        assert!(!hit(&engine, &dir));
    }

    #[test]
    fn an_artifact_writable_by_group_or_others_is_refused() {
        let engine = Engine::default();
        let (_root, dir, artifact) = filled_cache(&engine);
        for artifact_mode in [0o666, 0o620] {
            set_mode(&artifact, artifact_mode);
            assert!(!hit(&engine, &dir), "{artifact_mode:o}");
            assert_eq!(0o600, mode(&artifact), "replaced by a private one");
        }
    }

    #[test]
    fn a_key_readable_by_others_is_not_used() {
        let engine = Engine::default();
        let (_root, dir, _) = filled_cache(&engine);
        set_mode(&dir.join("key"), 0o644);
        assert!(!hit(&engine, &dir));
    }

    #[test]
    fn no_folder_means_no_cache() {
        let engine = Engine::default();
        let (component, hit) = load(&engine, COMPONENT, Path::new("")).unwrap();
        assert!(!hit);
        drop(component);
    }
}
