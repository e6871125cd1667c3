//! Conversions between the engine's types and the generated WIT types.

use connector_engine as engine;
use connector_engine::describe::Operation as EngineOperation;
use connector_engine::provision;

use crate::bindings::identity::connector::types as wit;

pub fn documents(config: &wit::Config) -> Vec<(String, String)> {
    config
        .documents
        .iter()
        .map(|d| (d.name.clone(), d.json.clone()))
        .collect()
}

pub fn error(error: engine::ConnectorError) -> wit::ConnectorError {
    use engine::ConnectorError as E;
    match error {
        E::Config(m) => wit::ConnectorError::Config(m),
        E::AuthFailed(m) => wit::ConnectorError::AuthFailed(m),
        E::Forbidden(m) => wit::ConnectorError::Forbidden(m),
        E::NotFound(m) => wit::ConnectorError::NotFound(m),
        E::Conflict(m) => wit::ConnectorError::Conflict(m),
        E::RateLimited {
            retry_after_seconds,
            detail,
        } => wit::ConnectorError::RateLimited(wit::RateLimit {
            retry_after_seconds,
            detail,
        }),
        E::Transient(m) => wit::ConnectorError::Transient(m),
        E::EgressDenied(m) => wit::ConnectorError::EgressDenied(m),
        E::InvalidResponse(m) => wit::ConnectorError::InvalidResponse(m),
        E::Unsupported(m) => wit::ConnectorError::Unsupported(m),
        E::InvalidState(m) => wit::ConnectorError::InvalidState(m),
        E::ThresholdExceeded(m) => wit::ConnectorError::ThresholdExceeded(m),
        other => wit::ConnectorError::InvalidResponse(other.to_string()),
    }
}

fn value_from_wit(value: wit::AttributeValue) -> engine::AttributeValue {
    match value {
        wit::AttributeValue::Absent => engine::AttributeValue::Absent,
        wit::AttributeValue::Text(t) => engine::AttributeValue::Text(t),
        wit::AttributeValue::Integer(i) => engine::AttributeValue::Integer(i),
        wit::AttributeValue::Boolean(b) => engine::AttributeValue::Boolean(b),
    }
}

fn attributes_from_wit(attributes: Vec<wit::Attribute>) -> engine::model::Attributes {
    attributes
        .into_iter()
        .map(|a| (a.name, value_from_wit(a.value)))
        .collect()
}

pub fn provision_request(request: wit::ProvisionRequest) -> provision::ProvisionRequest {
    provision::ProvisionRequest {
        request_id: request.request_id,
        account_id: request.account_id,
        user: attributes_from_wit(request.user),
        account: attributes_from_wit(request.account),
        ent_type: request.ent_type,
        entitlement_id: request.entitlement_id,
        role: request.role,
        dry_run: request.dry_run,
    }
}

pub fn provision_result(result: provision::ProvisionResult) -> wit::ProvisionResult {
    wit::ProvisionResult {
        account_id: result.account_id,
        attributes: attributes(result.attributes),
        outcome: match result.outcome {
            provision::Outcome::Done => wit::ProvisionOutcome::Done,
            provision::Outcome::AlreadyExisted => wit::ProvisionOutcome::AlreadyExisted,
            provision::Outcome::AlreadyAbsent => wit::ProvisionOutcome::AlreadyAbsent,
            provision::Outcome::DryRun => wit::ProvisionOutcome::DryRun,
        },
        calls: result
            .calls
            .into_iter()
            .map(|c| wit::HttpCall {
                method: c.method,
                url: c.url,
                status: c.status,
                duration_ms: c.duration_ms,
            })
            .collect(),
        rendered: result
            .rendered
            .into_iter()
            .map(|c| wit::RenderedCall {
                method: c.method,
                url: c.url,
                headers: c.headers,
                body: c.body,
            })
            .collect(),
    }
}

fn value(value: engine::AttributeValue) -> wit::AttributeValue {
    match value {
        engine::AttributeValue::Absent => wit::AttributeValue::Absent,
        engine::AttributeValue::Text(t) => wit::AttributeValue::Text(t),
        engine::AttributeValue::Integer(i) => wit::AttributeValue::Integer(i),
        engine::AttributeValue::Boolean(b) => wit::AttributeValue::Boolean(b),
    }
}

pub fn attributes(attributes: engine::model::Attributes) -> Vec<wit::Attribute> {
    attributes
        .into_iter()
        .map(|(name, v)| wit::Attribute {
            name,
            value: value(v),
        })
        .collect()
}

fn status(status: engine::Status) -> wit::Status {
    match status {
        engine::Status::Active => wit::Status::Active,
        engine::Status::Suspended => wit::Status::Suspended,
        engine::Status::Inactive => wit::Status::Inactive,
        engine::Status::Removed => wit::Status::Removed,
    }
}

pub fn record(record: engine::Record) -> wit::Record {
    match record {
        engine::Record::Account(a) => wit::Record::Account(wit::Account {
            id: a.id,
            status: status(a.status),
            attributes: attributes(a.attributes),
        }),
        engine::Record::Entitlement(e) => wit::Record::Entitlement(wit::Entitlement {
            ent_type: e.ent_type,
            id: e.id,
            status: status(e.status),
            attributes: attributes(e.attributes),
        }),
        engine::Record::Access(a) => wit::Record::Access(access(a)),
    }
}

fn access(a: engine::Access) -> wit::Access {
    wit::Access {
        id: a.id,
        account_id: a.account_id,
        ent_type: a.ent_type,
        entitlement_id: a.entitlement_id,
        status: status(a.status),
        attributes: attributes(a.attributes),
    }
}

pub fn kind(kind: wit::ObjectKind) -> engine::ObjectKind {
    match kind {
        wit::ObjectKind::Accounts => engine::ObjectKind::Accounts,
        wit::ObjectKind::Entitlements => engine::ObjectKind::Entitlements,
        wit::ObjectKind::Access => engine::ObjectKind::Access,
    }
}

pub fn kind_to_wit(kind: engine::ObjectKind) -> wit::ObjectKind {
    match kind {
        engine::ObjectKind::Accounts => wit::ObjectKind::Accounts,
        engine::ObjectKind::Entitlements => wit::ObjectKind::Entitlements,
        engine::ObjectKind::Access => wit::ObjectKind::Access,
    }
}

pub fn request(request: wit::ImportRequest) -> engine::ImportRequest {
    engine::ImportRequest {
        kinds: request.kinds.into_iter().map(kind).collect(),
        state: request.state,
        incremental: request.incremental,
    }
}

fn counts(counts: engine::KindCounts) -> wit::KindCounts {
    wit::KindCounts {
        present: counts.present,
        emitted: counts.emitted,
        created: counts.created,
        changed: counts.changed,
        gone: counts.gone,
    }
}

pub fn outcome(outcome: engine::import::ImportOutcome) -> wit::ImportSummary {
    let summary = outcome.summary;
    wit::ImportSummary {
        accounts: counts(summary.accounts),
        entitlements: counts(summary.entitlements),
        access: counts(summary.access),
        pages: summary.pages,
        orphans: summary.orphans.into_iter().map(access).collect(),
        state: outcome.state,
    }
}

pub fn descriptor(descriptor: engine::describe::Descriptor) -> wit::Descriptor {
    wit::Descriptor {
        name: descriptor.name,
        version: descriptor.version,
        operations: descriptor
            .operations
            .into_iter()
            .map(|op| match op {
                EngineOperation::TestConnection => wit::Operation::TestConnection,
                EngineOperation::ImportAccounts => wit::Operation::ImportAccounts,
                EngineOperation::ImportEntitlements => wit::Operation::ImportEntitlements,
                EngineOperation::ImportAccess => wit::Operation::ImportAccess,
                EngineOperation::CreateAccount => wit::Operation::CreateAccount,
                EngineOperation::UpdateAccount => wit::Operation::UpdateAccount,
                EngineOperation::RemoveAccount => wit::Operation::RemoveAccount,
                EngineOperation::AddAccess => wit::Operation::AddAccess,
                EngineOperation::RemoveAccess => wit::Operation::RemoveAccess,
            })
            .collect(),
        entitlement_types: descriptor.entitlement_types,
        account_attributes: descriptor.account_attributes,
        entitlement_attributes: descriptor.entitlement_attributes,
    }
}

pub fn report(report: engine::target::ConnectionReport) -> wit::ConnectionReport {
    wit::ConnectionReport {
        target: report.target,
        details: attributes(report.details),
    }
}
