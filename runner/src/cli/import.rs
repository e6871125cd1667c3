//! `import accounts|entitlements|access|all [--state FILE [--incremental]]`.

use std::io::{IsTerminal as _, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::output::{Format, RecordWriter, json_line};
use clap::{ArgGroup, Args, ValueEnum};
use connector_runner::json::RecordJson;
use connector_runner::state::StateFile;
use connector_runner::types::ConnectorError;
use connector_runner::types::{
    Access, Descriptor, ImportRequest, ImportSummary, KindCounts, ObjectKind, Record,
};
use connector_runner::{ConnectorHost, ImportSink, ImportState, OrphansFn, RunError};
use tokio::sync::mpsc;

use super::GlobalArgs;
use super::progress::ProgressLine;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("kept").args(["state", "tenants"])))]
pub struct ImportArgs {
    /// What to import; `all` runs accounts, then entitlements, then access.
    #[arg(value_enum)]
    what: What,
    /// Keep the import state in FILE: objects that disappeared since the
    /// last successful run come out suspended, inactive or removed. The file
    /// is replaced only when the import succeeds.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Emit only what was created, changed or has gone since the state.
    #[arg(long, requires = "kept")]
    incremental: bool,
    /// No progress line and no summary on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Import for each tenant in this TOML file, a few at a time, each with
    /// its own base URL, credentials, documents, state file and output.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["state", "quiet"])]
    tenants: Option<PathBuf>,
}

impl ImportArgs {
    /// Whether this is an import for each tenant of a tenants file.
    pub fn has_tenants(&self) -> bool {
        self.tenants.is_some()
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum What {
    Accounts,
    Entitlements,
    Access,
    All,
}

/// The columns of an access link before its attributes: its ends, which
/// records carry as fields rather than attributes.
const LINK_COLUMNS: [&str; 2] = ["accountID", "entitlementID"];

/// Batches in flight between the guest and the writer: enough to keep both
/// busy, few enough that memory stays a handful of pages.
const BATCHES_IN_FLIGHT: usize = 4;

pub async fn run(global: &GlobalArgs, args: &ImportArgs) -> anyhow::Result<()> {
    let kinds = match args.what {
        What::Accounts => vec![ObjectKind::Accounts],
        What::Entitlements => vec![ObjectKind::Entitlements],
        What::Access => vec![ObjectKind::Access],
        What::All => ObjectKind::ALL.to_vec(),
    };
    if let Some(tenants) = &args.tenants {
        return super::tenants::run(global, tenants, kinds, args.incremental).await;
    }
    let state_file = args.state.as_ref().map(StateFile::new);
    let host = global.host(true)?;
    let progress = (!args.quiet && std::io::stderr().is_terminal()).then(ProgressLine::start);
    let orphans = Orphans::new(global.verbose > 0);
    let target = Target {
        format: global.format,
        output: global.output()?,
        state: state_file.as_ref(),
    };
    let request = ImportRequest {
        kinds,
        has_state: false,
        incremental: args.incremental,
    };
    let summary = import_into(&host, request.clone(), target, progress.as_ref(), &orphans).await;
    if let Some(progress) = progress {
        progress.finish();
    }
    let summary = summary?;
    if !args.quiet {
        let memory = (host.peak_memory(), global.limits()?.memory_bytes);
        report(&request, &summary, memory, &orphans);
    }
    Ok(())
}

/// Where an import's records and state go.
pub struct Target<'a> {
    /// The records' format.
    pub format: Format,
    /// Where the records are written.
    pub output: Box<dyn Write + Send>,
    /// The state file, read before and replaced after a successful import.
    pub state: Option<&'a StateFile>,
}

/// Runs `request` through `host` into `target`: the records written as they
/// come, the state file replaced only when the import succeeds.
pub async fn import_into(
    host: &ConnectorHost,
    request: ImportRequest,
    target: Target<'_>,
    progress: Option<&ProgressLine>,
    orphans: &Orphans,
) -> anyhow::Result<ImportSummary> {
    let mut previous = match target.state {
        Some(file) => file.open()?,
        None => None,
    };
    let descriptor = host.describe().await?;
    let columns = columns(&request.kinds, &descriptor);
    let mut writer = RecordWriter::new(target.format, target.output, columns);
    let (batches, mut receiver) = mpsc::channel(BATCHES_IN_FLIGHT);
    let sink = ImportSink {
        batches,
        progress: progress.map(ProgressLine::reporter),
        orphans: Some(orphans.hearer()),
    };
    let mut next = target.state.map(StateFile::begin).transpose()?;
    let state = ImportState {
        previous: previous.as_mut().map(|kept| kept as &mut (dyn Read + Send)),
        next: next.as_mut().map(|new| new as &mut (dyn Write + Send)),
    };
    let import = host.import(&request, state, sink);
    // The import and the writer share one task. The writer yields after each
    // batch, so that a response that came in meanwhile resumes the guest
    // (which then sends the next request of its list) before the next batch
    // is written, rather than after every batch waiting has been.
    let write = async {
        while let Some(batch) = receiver.recv().await {
            writer.write_batch(&batch)?;
            tokio::task::yield_now().await;
        }
        anyhow::Ok(())
    };
    let (summary, written) = tokio::join!(import, write);
    written?;
    let summary: ImportSummary = summary.map_err(|error| match (&error, target.state) {
        // The connector read the state and cannot name its file: this does.
        (RunError::Connector(ConnectorError::InvalidState(_)), Some(file)) => {
            let path = file.path().display();
            anyhow::Error::new(error).context(format!("the state file '{path}' (left as it is)"))
        }
        _ => error.into(),
    })?;
    writer.finish()?;
    if let Some(next) = next {
        next.commit()?;
    }
    Ok(summary)
}

/// The orphans an import reports: counted, and kept to be listed at `-v`.
#[derive(Clone)]
pub struct Orphans {
    count: Arc<AtomicUsize>,
    listed: Option<Arc<Mutex<Vec<Access>>>>,
}

impl Orphans {
    /// None yet; `list` keeps them to be listed.
    pub fn new(list: bool) -> Self {
        Self {
            count: Arc::default(),
            listed: list.then(Arc::default),
        }
    }

    fn hearer(&self) -> OrphansFn {
        let orphans = self.clone();
        Arc::new(move |batch: &[Access]| {
            orphans.count.fetch_add(batch.len(), Ordering::Relaxed);
            if let Some(listed) = &orphans.listed {
                listed
                    .lock()
                    .expect("not poisoned")
                    .extend_from_slice(batch);
            }
        })
    }
}

/// The CSV and table columns: the record's kind and status, the entitlement
/// type where a kind has one, then each kind's attributes as `describe`
/// names them (an access link's ends first), each once.
fn columns(kinds: &[ObjectKind], descriptor: &Descriptor) -> Vec<String> {
    let mut columns = vec!["record".to_string(), "status".to_string()];
    if kinds.iter().any(|k| *k != ObjectKind::Accounts) {
        columns.push("entType".to_string());
    }
    for kind in kinds {
        let names: Vec<&str> = match kind {
            ObjectKind::Accounts => descriptor
                .account_attributes
                .iter()
                .map(String::as_str)
                .collect(),
            ObjectKind::Entitlements => descriptor
                .entitlement_attributes
                .iter()
                .map(String::as_str)
                .collect(),
            ObjectKind::Access => LINK_COLUMNS
                .into_iter()
                .chain(descriptor.access_attributes.iter().map(String::as_str))
                .collect(),
        };
        for name in names {
            if !columns.iter().any(|c| c == name) {
                columns.push(name.to_string());
            }
        }
    }
    columns
}

/// The summary on stderr: a line per kind imported, the pages, the most
/// memory the guest held of its cap (`memory`, in bytes), then the orphans.
fn report(
    request: &ImportRequest,
    summary: &ImportSummary,
    (held, cap): (usize, usize),
    orphans: &Orphans,
) {
    let gone_word = |kind: ObjectKind| match kind {
        ObjectKind::Accounts => "suspended or inactive",
        ObjectKind::Entitlements => "inactive",
        ObjectKind::Access => "removed",
    };
    for &kind in ObjectKind::ALL {
        if !request.kinds.contains(&kind) {
            continue;
        }
        let counts: &KindCounts = match kind {
            ObjectKind::Accounts => &summary.accounts,
            ObjectKind::Entitlements => &summary.entitlements,
            ObjectKind::Access => &summary.access,
        };
        eprintln!(
            "{:<13} {} present, {} emitted ({} created, {} changed, {} {})",
            format!("{kind}:"),
            counts.present,
            counts.emitted,
            counts.created,
            counts.changed,
            counts.gone,
            gone_word(kind)
        );
    }
    eprintln!("{:<13} {}", "pages:", summary.pages);
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);
    let (held, cap) = (mib(held), mib(cap));
    eprintln!(
        "{:<13} {held:.1} MiB at most, of {cap:.0} MiB",
        "guest memory:"
    );
    let count = orphans.count.load(Ordering::Relaxed);
    if count > 0 {
        eprintln!(
            "{count} access links name an account or entitlement that is unknown; they were not emitted{}",
            if orphans.listed.is_some() {
                ":"
            } else {
                " (-v lists them)"
            }
        );
        if let Some(listed) = &orphans.listed {
            for orphan in listed.lock().expect("not poisoned").iter() {
                let line =
                    json_line(&RecordJson(&Record::Access(orphan.clone()))).unwrap_or_default();
                eprintln!("  {line}");
            }
        }
    }
}
