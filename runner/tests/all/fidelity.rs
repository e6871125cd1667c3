//! Where the simulator is as strict as Confluent Cloud: role bindings at
//! every scope under both readings of `crn_pattern`, and error pages that
//! are not JSON.

use confluent_sim::{CrnMatching, Faults, Scope, SimConfig, Simulator};
use connector_runner::types::{ConnectorError, ObjectKind, Record};
use connector_runner::{ProvisionOperation, RunError};

use crate::support::*;

fn every_scope_simulator(matching: CrnMatching) -> Simulator {
    Simulator::start(SimConfig {
        seed: small_org(),
        every_scope: true,
        crn_matching: matching,
        ..SimConfig::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn bindings_at_every_scope_are_imported_once_under_both_readings_of_crn_pattern()
-> anyhow::Result<()> {
    for matching in [CrnMatching::Exact, CrnMatching::Partial] {
        let sim = every_scope_simulator(matching);
        let records = import(&host(connector(), settings(&sim)), ObjectKind::Access).await?;
        assert_eq!(
            expected_access(&sim.state()),
            as_json(&records),
            "{matching:?}: every binding, each once"
        );
        let every = sim.every_scope().unwrap();
        let ids: Vec<&str> = records
            .iter()
            .filter_map(|r| match r {
                Record::Access(a) => Some(a.id.as_str()),
                _ => None,
            })
            .collect();
        for scope in Scope::ALL {
            let binding = every.binding(scope);
            assert_eq!(
                1,
                ids.iter().filter(|id| **id == binding.id).count(),
                "{matching:?}: the {scope:?} binding {}",
                binding.crn
            );
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_html_error_page_is_a_clear_typed_error_on_import_and_provisioning() -> anyhow::Result<()>
{
    let sim = simulator(small_org());
    sim.set_faults(Faults {
        error_rate: 1.0,
        error_statuses: vec![502],
        html_errors: true,
        ..Faults::default()
    });
    let host = host(connector(), settings(&sim));
    let error = import(&host, ObjectKind::Accounts).await.unwrap_err();
    match &error {
        RunError::Connector(ConnectorError::Transient(detail)) => {
            assert!(detail.contains("returned 502"), "{detail}");
            assert!(!detail.contains('<'), "no markup in the message: {detail}");
        }
        other => panic!("expected a transient failure, got {other}"),
    }
    let text = |name: &str, value: &str| connector_runner::types::Attribute {
        name: name.into(),
        value: connector_runner::types::AttributeValue::Text(value.into()),
    };
    let mut create = empty_provision_request();
    create.user = vec![
        text("username", "svc-html"),
        text("customproperty4", "made under an HTML error page"),
    ];
    let error = host
        .provision(ProvisionOperation::CreateAccount, &create)
        .await
        .unwrap_err();
    assert!(
        matches!(error, RunError::Connector(ConnectorError::Transient(_))),
        "{error}"
    );
    assert!(error.to_string().contains("502"), "{error}");
    Ok(())
}
