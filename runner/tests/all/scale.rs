//! A large organization, imported whole through the sandbox.

use connector_runner::types::Record;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_large_organization_imports_exactly_with_nothing_missing_or_twice() -> anyhow::Result<()>
{
    let sim = simulator(confluent_sim::SeedSpec {
        users: 25_000,
        service_accounts: 5_000,
        environments: 50,
        role_bindings: 6_000,
        seed: 11,
    });
    let host = host(connector(), settings(&sim));
    let request = import_all(None, false);
    let (summary, records) = run_import(&host, &request).await?;

    let state = sim.state();
    let of_kind = |wanted: fn(&Record) -> bool| {
        let chosen: Vec<Record> = records.iter().filter(|r| wanted(r)).cloned().collect();
        as_json(&chosen)
    };
    let accounts = of_kind(|r| matches!(r, Record::Account(_)));
    let entitlements = of_kind(|r| matches!(r, Record::Entitlement(_)));
    let access = of_kind(|r| matches!(r, Record::Access(_)));
    assert_eq!(30_000, accounts.len());
    assert_eq!(51, entitlements.len());
    assert_eq!(6_000, access.len());
    // Equal sorted lists of equal length: nothing missing and nothing twice.
    assert!(accounts == expected_accounts(&state), "accounts differ");
    assert!(
        entitlements == expected_entitlements(&state),
        "entitlements differ"
    );
    assert!(access == expected_access(&state), "access differs");
    assert_eq!(
        (30_000, 51, 6_000),
        (
            summary.accounts.present,
            summary.entitlements.present,
            summary.access.present
        )
    );
    assert!(summary.orphans.is_empty());

    // The state the import returned holds every record, in at most 50
    // bytes each, and no credential.
    // A kind's lines may come in several runs, each under its `#` line.
    let records_in = |kind: &str| {
        let (mut current, mut count) = ("", 0);
        for line in summary.state.lines().skip(1) {
            match line.strip_prefix('#') {
                Some(name) => current = name,
                None if current == kind && !line.starts_with('=') => count += 1,
                None => {}
            }
        }
        count
    };
    assert_eq!(30_000, records_in("accounts"));
    assert_eq!(51, records_in("entitlements"));
    assert_eq!(6_000, records_in("access"));
    let per_record = summary.state.len() / (30_000 + 51 + 6_000);
    assert!(per_record <= 50, "{per_record} bytes a record");
    assert!(!summary.state.contains(sim.api_secret()));
    Ok(())
}
