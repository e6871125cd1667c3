//! `import accounts|entitlements|access|all`.

use clap::{Args, ValueEnum};
use connector_runner::output::RecordWriter;
use connector_runner::types::{ImportSummary, ObjectKind};
use tokio::sync::mpsc;

use super::GlobalArgs;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What to import; `all` runs accounts, then entitlements, then access.
    #[arg(value_enum)]
    what: What,
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
    let kinds: &[ObjectKind] = match args.what {
        What::Accounts => &[ObjectKind::Accounts],
        What::Entitlements => &[ObjectKind::Entitlements],
        What::Access => &[ObjectKind::Access],
        What::All => &[
            ObjectKind::Accounts,
            ObjectKind::Entitlements,
            ObjectKind::Access,
        ],
    };
    let host = global.host(true)?;
    let descriptor = host.describe().await?;
    let mut columns: Vec<String> = vec!["record".into(), "status".into()];
    if kinds.iter().any(|k| *k != ObjectKind::Accounts) {
        columns.push("entType".into());
    }
    for kind in kinds {
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
    for &kind in kinds {
        let (sender, mut receiver) = mpsc::channel(BATCHES_IN_FLIGHT);
        let import = host.import(kind, sender);
        let write = async {
            while let Some(batch) = receiver.recv().await {
                writer.write_batch(&batch)?;
            }
            anyhow::Ok(())
        };
        let (summary, written) = tokio::join!(import, write);
        written?;
        let summary: ImportSummary = summary?;
        tracing::info!(
            "imported {:?}: {} accounts, {} entitlements, {} access links from {} pages",
            kind,
            summary.accounts,
            summary.entitlements,
            summary.access,
            summary.pages
        );
    }
    writer.finish()?;
    Ok(())
}
