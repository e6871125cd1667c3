//! Conversions between the engine's types and the generated WIT types, as
//! `From` impls: WIT to engine for what the host hands in, engine to WIT for
//! what goes back.

use connector_engine as engine;
use connector_engine::import::events::Event;
use connector_engine::{describe, provision, target};

use crate::bindings::exports::identity::connector::types as wit;

/// `From` between two enums whose cases have the same names and hold at
/// most one value each, converted in turn: `A => B` one way, `A, B` both.
macro_rules! case_for_case {
    ($one:ty, $other:ty { $($cases:tt)+ }) => {
        case_for_case!($one => $other { $($cases)+ });
        case_for_case!($other => $one { $($cases)+ });
    };
    ($from:ty => $to:ty { $($case:ident $(($value:ident))?),+ $(,)? }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                type From = $from;
                match value {
                    $(From::$case $(($value))? => Self::$case $(($value.into()))?,)+
                }
            }
        }
    };
}

case_for_case!(
    wit::ProvisionOperation,
    provision::ProvisionOp {
        CreateAccount,
        UpdateAccount,
        RemoveAccount,
        AddAccess,
        RemoveAccess,
    }
);
case_for_case!(
    wit::ObjectKind,
    engine::ObjectKind {
        Accounts,
        Entitlements,
        Access
    }
);
case_for_case!(wit::AttributeValue, engine::AttributeValue {
    Absent, Text(text), Integer(integer), Boolean(boolean),
});
case_for_case!(engine::Status => wit::Status { Active, Suspended, Inactive, Removed });
case_for_case!(provision::Outcome => wit::ProvisionOutcome {
    Done, AlreadyExisted, AlreadyAbsent, DryRun,
});
case_for_case!(describe::Operation => wit::Operation {
    TestConnection, Import(kind), Provision(operation),
});

/// Converts each of `items`.
pub fn each<T, U: From<T>>(items: impl IntoIterator<Item = T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

impl From<&wit::Document> for (String, String) {
    fn from(document: &wit::Document) -> Self {
        (document.name.clone(), document.json.clone())
    }
}

impl From<engine::ConnectorError> for wit::ConnectorError {
    fn from(error: engine::ConnectorError) -> Self {
        use engine::ConnectorError as E;
        match error {
            E::Config(m) => Self::Config(m),
            E::AuthFailed(m) => Self::AuthFailed(m),
            E::Forbidden(m) => Self::Forbidden(m),
            E::NotFound(m) => Self::NotFound(m),
            E::Conflict(m) => Self::Conflict(m),
            E::RateLimited {
                retry_after_seconds,
                detail,
            } => Self::RateLimited(wit::RateLimit {
                retry_after_seconds,
                detail,
            }),
            E::Transient(m) => Self::Transient(m),
            E::EgressDenied(m) => Self::EgressDenied(m),
            E::InvalidResponse(m) => Self::InvalidResponse(m),
            E::Unsupported(m) => Self::Unsupported(m),
            E::InvalidState(m) => Self::InvalidState(m),
            E::ThresholdExceeded(m) => Self::ThresholdExceeded(m),
            other => Self::InvalidResponse(other.to_string()),
        }
    }
}

impl From<wit::Attribute> for (String, engine::AttributeValue) {
    fn from(attribute: wit::Attribute) -> Self {
        (attribute.name, attribute.value.into())
    }
}

impl From<(String, engine::AttributeValue)> for wit::Attribute {
    fn from((name, value): (String, engine::AttributeValue)) -> Self {
        Self {
            name,
            value: value.into(),
        }
    }
}

impl From<wit::ProvisionRequest> for provision::ProvisionRequest {
    fn from(request: wit::ProvisionRequest) -> Self {
        Self {
            request_id: request.request_id,
            account_id: request.account_id,
            user: each(request.user),
            account: each(request.account),
            ent_type: request.ent_type,
            entitlement_id: request.entitlement_id,
            role: request.role,
            dry_run: request.dry_run,
        }
    }
}

impl From<provision::HttpCall> for wit::HttpCall {
    fn from(call: provision::HttpCall) -> Self {
        Self {
            method: call.method,
            url: call.url,
            status: call.status,
            duration_ms: call.duration_ms,
        }
    }
}

impl From<provision::RenderedCall> for wit::RenderedCall {
    fn from(call: provision::RenderedCall) -> Self {
        Self {
            method: call.method,
            url: call.url,
            headers: call.headers,
            body: call.body,
        }
    }
}

impl From<provision::ProvisionResult> for wit::ProvisionResult {
    fn from(result: provision::ProvisionResult) -> Self {
        Self {
            account_id: result.account_id,
            attributes: each(result.attributes),
            outcome: result.outcome.into(),
            calls: each(result.calls),
            rendered: each(result.rendered),
        }
    }
}

impl From<engine::Access> for wit::Access {
    fn from(access: engine::Access) -> Self {
        Self {
            id: access.id,
            account_id: access.account_id,
            ent_type: access.ent_type,
            entitlement_id: access.entitlement_id,
            status: access.status.into(),
            attributes: each(access.attributes),
        }
    }
}

impl From<engine::Record> for wit::Record {
    fn from(record: engine::Record) -> Self {
        match record {
            engine::Record::Account(a) => Self::Account(wit::Account {
                id: a.id,
                status: a.status.into(),
                attributes: each(a.attributes),
            }),
            engine::Record::Entitlement(e) => Self::Entitlement(wit::Entitlement {
                ent_type: e.ent_type,
                id: e.id,
                status: e.status.into(),
                attributes: each(e.attributes),
            }),
            engine::Record::Access(a) => Self::Access(a.into()),
        }
    }
}

/// The request; the state, if any, is fed in pieces.
impl From<Event> for wit::ImportEvent {
    fn from(event: Event) -> Self {
        match event {
            Event::Records(records) => Self::Records(each(records)),
            Event::Progress {
                kind,
                records,
                pages,
            } => Self::Progress(wit::Progress {
                kind: kind.into(),
                records,
                pages,
            }),
            Event::Orphans(links) => Self::Orphans(each(links)),
            Event::State(piece) => Self::State(piece.into_bytes()),
        }
    }
}

impl From<wit::ImportRequest> for engine::ImportRequest {
    fn from(request: wit::ImportRequest) -> Self {
        Self {
            kinds: each(request.kinds),
            incremental: request.incremental,
        }
    }
}

impl From<engine::KindCounts> for wit::KindCounts {
    fn from(counts: engine::KindCounts) -> Self {
        Self {
            present: counts.present,
            emitted: counts.emitted,
            created: counts.created,
            changed: counts.changed,
            gone: counts.gone,
        }
    }
}

/// The counts; the orphans go over as events of their own.
impl From<engine::ImportSummary> for wit::ImportSummary {
    fn from(summary: engine::ImportSummary) -> Self {
        Self {
            accounts: summary.accounts.into(),
            entitlements: summary.entitlements.into(),
            access: summary.access.into(),
            pages: summary.pages,
        }
    }
}

impl From<describe::Descriptor> for wit::Descriptor {
    fn from(descriptor: describe::Descriptor) -> Self {
        Self {
            name: descriptor.name,
            version: descriptor.version,
            operations: each(descriptor.operations),
            entitlement_types: descriptor.entitlement_types,
            account_attributes: descriptor.account_attributes,
            entitlement_attributes: descriptor.entitlement_attributes,
            access_attributes: descriptor.access_attributes,
        }
    }
}

impl From<target::ConnectionReport> for wit::ConnectionReport {
    fn from(report: target::ConnectionReport) -> Self {
        Self {
            target: report.target,
            details: each(report.details),
        }
    }
}
