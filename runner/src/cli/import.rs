//! `import accounts|entitlements|access|all [--state FILE [--incremental]]`.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use connector_runner::ImportSink;
use connector_runner::output::{RecordWriter, json_line, kind_name, record_json};
use connector_runner::state::StateFile;
use connector_runner::types::{ImportRequest, ImportSummary, KindCounts, ObjectKind, Record};
use tokio::sync::mpsc;

use super::GlobalArgs;
use super::progress::ProgressLine;

#[derive(Debug, Args)]
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
    #[arg(long, requires = "state")]
    incremental: bool,
    /// No progress line and no summary on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum What {
    Accounts,
    Entitlements,
    Access,
    All,
}

/// The columns of an access link: its ends, then the role binding's attributes.
const ACCESS_COLUMNS: [&str; 6] = [
    "accountID",
    "entitlementID",
    "roleBindingID",
    "role_name",
    "crn_pattern",
    "principal",
];

/// Batches in flight between the guest and the writer: enough to keep both
/// busy, few enough that memory stays a handful of pages.
const BATCHES_IN_FLIGHT: usize = 4;

pub async fn run(global: &GlobalArgs, args: &ImportArgs) -> anyhow::Result<()> {
    let kinds = match args.what {
        What::Accounts => vec![ObjectKind::Accounts],
        What::Entitlements => vec![ObjectKind::Entitlements],
        What::Access => vec![ObjectKind::Access],
        What::All => vec![
            ObjectKind::Accounts,
            ObjectKind::Entitlements,
            ObjectKind::Access,
        ],
    };
    let state_file = args.state.as_ref().map(StateFile::new);
    let state = match &state_file {
        Some(file) => file.load()?,
        None => None,
    };
    let host = global.host(true)?;
    let descriptor = host.describe().await?;
    let mut columns: Vec<String> = vec!["record".into(), "status".into()];
    if kinds.iter().any(|k| *k != ObjectKind::Accounts) {
        columns.push("entType".into());
    }
    for kind in &kinds {
        let names = match kind {
            ObjectKind::Accounts => &descriptor.account_attributes,
            ObjectKind::Entitlements => &descriptor.entitlement_attributes,
            ObjectKind::Access => &ACCESS_COLUMNS.map(String::from).to_vec(),
        };
        for name in names {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let mut writer = RecordWriter::new(global.format, global.output()?, columns);
    let progress = (!args.quiet && std::io::stderr().is_terminal()).then(ProgressLine::start);
    let (batches, mut receiver) = mpsc::channel(BATCHES_IN_FLIGHT);
    let sink = ImportSink {
        batches,
        progress: progress.as_ref().map(ProgressLine::reporter),
    };
    let request = ImportRequest {
        kinds,
        state,
        incremental: args.incremental,
    };
    let import = host.import(&request, sink);
    let write = async {
        while let Some(batch) = receiver.recv().await {
            writer.write_batch(&batch)?;
        }
        anyhow::Ok(())
    };
    let (summary, written) = tokio::join!(import, write);
    if let Some(progress) = progress {
        progress.finish();
    }
    written?;
    let summary: ImportSummary = summary?;
    writer.finish()?;
    if let Some(file) = &state_file {
        file.save(&summary.state)?;
    }
    if !args.quiet {
        report(&request, &summary, global.verbose > 0);
    }
    Ok(())
}

/// The summary on stderr: a line per kind imported, then the orphans.
fn report(request: &ImportRequest, summary: &ImportSummary, list_orphans: bool) {
    let gone_word = |kind: ObjectKind| match kind {
        ObjectKind::Accounts => "suspended or inactive",
        ObjectKind::Entitlements => "inactive",
        ObjectKind::Access => "removed",
    };
    for kind in [
        ObjectKind::Accounts,
        ObjectKind::Entitlements,
        ObjectKind::Access,
    ] {
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
            format!("{}:", kind_name(kind)),
            counts.present,
            counts.emitted,
            counts.created,
            counts.changed,
            counts.gone,
            gone_word(kind)
        );
    }
    eprintln!("{:<13} {}", "pages:", summary.pages);
    if !summary.orphans.is_empty() {
        eprintln!(
            "{} access links name an account or entitlement that is unknown; they were not emitted{}",
            summary.orphans.len(),
            if list_orphans {
                ":"
            } else {
                " (-v lists them)"
            }
        );
        if list_orphans {
            for orphan in &summary.orphans {
                let line =
                    json_line(&record_json(&Record::Access(orphan.clone()))).unwrap_or_default();
                eprintln!("  {line}");
            }
        }
    }
}
