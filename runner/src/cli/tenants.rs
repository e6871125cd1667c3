//! `import … --tenants FILE`: an import for each tenant the file names, a
//! few at a time. The component is compiled once; each tenant's import runs
//! in stores of its own, with its own base URL, grants, credentials,
//! documents, state file and output. A tenant that fails stops no other.
//!
//! ```toml
//! concurrency = 4                      # imports at once; 4 when absent
//!
//! [[tenant]]
//! name = "acme"
//! base_url = "https://api.confluent.cloud"
//! credentials = "acme/credentials.json" # {"api_key", "api_secret"}
//! output = "acme/records.ndjson"
//! state = "acme/import.state"           # optional
//! config = "acme/config"                # optional: a folder of documents
//! allow_hosts = []                      # optional: origins without credentials
//! allow_paths = []                      # optional: more paths that get them
//! ```
//!
//! Relative paths are taken from the file's folder. The global flags these
//! set per tenant (`--base-url`, `--credentials`, `--config`,
//! `--allow-host`, `--allow-path`, `--output`) are refused beside
//! `--tenants`; the others (the component, the limits, the format, the
//! cache) apply to every tenant.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use connector_runner::files::{create_output, read_text_capped};
use connector_runner::grants::parse_extra;
use connector_runner::state::StateFile;
use connector_runner::types::{ImportRequest, ObjectKind};
use connector_runner::{ConnectorHost, ConnectorRuntime, Credentials, HostSettings};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::GlobalArgs;
use super::import::{Orphans, Target, import_into};

/// The most tenants one file may name.
const MAX_TENANTS: usize = 10_000;
/// The largest tenants file read: far more than `MAX_TENANTS` entries take.
const MAX_FILE_BYTES: u64 = 16 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantsFile {
    #[serde(default = "default_concurrency")]
    concurrency: usize,
    #[serde(rename = "tenant")]
    tenants: Vec<Tenant>,
}

fn default_concurrency() -> usize {
    4
}

/// One tenant: where its organization is, how to reach it, and where its
/// records and state go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tenant {
    name: String,
    base_url: String,
    credentials: PathBuf,
    output: PathBuf,
    state: Option<PathBuf>,
    config: Option<PathBuf>,
    #[serde(default)]
    allow_hosts: Vec<String>,
    #[serde(default)]
    allow_paths: Vec<String>,
}

/// A tenants file that cannot be used: it names the file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("the tenants file '{path}': {problem}")]
pub struct TenantsFileError {
    path: String,
    problem: String,
}

/// Reads the tenants file.
fn read(path: &Path) -> Result<TenantsFile, TenantsFileError> {
    let refuse = |problem: String| TenantsFileError {
        path: path.display().to_string(),
        problem,
    };
    let text = read_text_capped(path, "tenants file", MAX_FILE_BYTES)
        .map_err(|e| refuse(format!("cannot be read: {e}")))?;
    // The parser's own message quotes the offending line, which could hold
    // a secret written there by mistake: only its place is named.
    let file: TenantsFile = toml::from_str(&text).map_err(|e| {
        let at = e.span().map_or(0, |span| span.start);
        let line = text[..at.min(text.len())].matches('\n').count() + 1;
        refuse(format!("line {line}: {}", e.message()))
    })?;
    if file.tenants.is_empty() || file.tenants.len() > MAX_TENANTS {
        let count = file.tenants.len();
        return Err(refuse(format!(
            "names {count} tenants; expected 1 to {MAX_TENANTS}"
        )));
    }
    if !(1..=64).contains(&file.concurrency) {
        let concurrency = file.concurrency;
        return Err(refuse(format!(
            "concurrency is {concurrency}; expected 1 to 64"
        )));
    }
    let mut names: Vec<&str> = file.tenants.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(refuse(format!("names the tenant '{}' twice", twice[0])));
    }
    // Two tenants writing one file would mix their records, or take each
    // other's state.
    let mut files: Vec<&Path> = file.tenants.iter().map(|t| t.output.as_path()).collect();
    files.extend(file.tenants.iter().filter_map(|t| t.state.as_deref()));
    files.sort_unstable();
    if let Some(twice) = files.windows(2).find(|pair| pair[0] == pair[1]) {
        let twice = twice[0].display();
        return Err(refuse(format!(
            "names the file '{twice}' for two outputs or states"
        )));
    }
    Ok(file)
}

/// Runs every tenant's import and reports each; fails when any failed.
pub async fn run(
    global: &GlobalArgs,
    path: &Path,
    kinds: Vec<ObjectKind>,
    incremental: bool,
) -> anyhow::Result<()> {
    let file = read(path)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let runtime = global.runtime()?;
    let limits = global.limits()?;
    let permits = Arc::new(Semaphore::new(file.concurrency));
    let started = Instant::now();
    let total = file.tenants.len();
    let mut imports = JoinSet::new();
    for tenant in file.tenants {
        let permits = permits.clone();
        let runtime = runtime.clone();
        let (folder, kinds, format) = (folder.to_path_buf(), kinds.clone(), global.format);
        imports.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            let began = Instant::now();
            let request = ImportRequest {
                kinds,
                has_state: false,
                incremental,
            };
            let outcome = import_tenant(&tenant, &folder, runtime, limits, request, format).await;
            (tenant.name, outcome, began.elapsed())
        });
    }
    let mut failed = 0;
    while let Some(joined) = imports.join_next().await {
        let Ok((name, outcome, took)) = joined else {
            failed += 1;
            eprintln!("tenant ?: failed: its import panicked");
            continue;
        };
        match outcome {
            Ok((summary, memory)) => eprintln!(
                "tenant {name}: {} accounts, {} entitlements, {} access links, {} pages in {:.2} s; guest memory {:.1} MiB at most",
                summary.accounts.present,
                summary.entitlements.present,
                summary.access.present,
                summary.pages,
                took.as_secs_f64(),
                memory as f64 / f64::from(1 << 20),
            ),
            Err(error) => {
                failed += 1;
                let text = format!("{error:#}");
                let error = connector_runner::text::escape_controls(&text);
                eprintln!("tenant {name}: failed: {error}");
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "tenants: {} of {total} imported in {elapsed:.2} s ({:.1} a second)",
        total - failed,
        total as f64 / elapsed
    );
    if failed > 0 {
        bail!("{failed} of {total} tenants failed");
    }
    Ok(())
}

/// One tenant's import, on the shared compiled component; returns its
/// summary and the most memory its guest held.
async fn import_tenant(
    tenant: &Tenant,
    folder: &Path,
    runtime: Arc<ConnectorRuntime>,
    limits: connector_runner::Limits,
    request: ImportRequest,
    format: super::output::Format,
) -> anyhow::Result<(connector_runner::types::ImportSummary, usize)> {
    let at = |path: &Path| folder.join(path);
    let (extra_grants, extra_credential_paths) =
        parse_extra(&tenant.allow_hosts, &tenant.allow_paths)
            .with_context(|| format!("tenant {}: allow_hosts or allow_paths", tenant.name))?;
    let documents = match &tenant.config {
        Some(dir) => connector_runner::documents::read_config_dir(&at(dir))?,
        None => Vec::new(),
    };
    let settings = HostSettings {
        base_url: tenant.base_url.clone(),
        extra_grants,
        extra_credential_paths,
        credentials: Some(Credentials::from_file(&at(&tenant.credentials))?),
        documents,
        limits,
    };
    let host = ConnectorHost::new(runtime, settings)?;
    let state = tenant.state.as_ref().map(|path| StateFile::new(at(path)));
    let target = Target {
        format,
        output: Box::new(std::io::BufWriter::new(create_output(&at(&tenant.output))?)),
        state: state.as_ref(),
    };
    let summary = import_into(&host, request, target, None, &Orphans::new(false)).await?;
    Ok((summary, host.peak_memory()))
}
