//! The control API under `/_sim/`: state, request log, faults, CRN matching,
//! and an open echo of a request's headers.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde::Serialize;
use serde_json::{Value, json};

use super::{LoggedRequest, Shared, lock};
use crate::crn::CrnMatching;
use crate::errors::ApiError;
use crate::faults::Faults;
use crate::model::{Environment, Invitation, Organization, RoleBinding, ServiceAccount, User};
use crate::store::{Records, Store, Stored};

/// Everything the simulator holds, in the API's own JSON shapes.
pub fn state_json(shared: &Shared) -> Value {
    fn all<R: Stored>(store: &Store, origin: &str) -> Vec<Value> {
        let org_id = store.org_id();
        R::records(store)
            .every()
            .map(|r| r.to_json(origin, org_id))
            .collect()
    }
    shared.with_store(|store| {
        let origin = &shared.origin;
        json!({
            "organizations": all::<Organization>(store, origin),
            "users": all::<User>(store, origin),
            "service_accounts": all::<ServiceAccount>(store, origin),
            "invitations": all::<Invitation>(store, origin),
            "environments": all::<Environment>(store, origin),
            "role_bindings": all::<RoleBinding>(store, origin),
        })
    })
}

pub(super) async fn sim_state(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(state_json(&s))
}

pub(super) async fn sim_requests(State(s): State<Arc<Shared>>) -> Json<Vec<LoggedRequest>> {
    Json(lock(&s.log).clone())
}

pub(super) async fn sim_clear_requests(State(s): State<Arc<Shared>>) -> StatusCode {
    lock(&s.log).clear();
    StatusCode::NO_CONTENT
}

pub(super) async fn sim_faults(State(s): State<Arc<Shared>>) -> Json<Faults> {
    Json(lock(&s.faults).clone())
}

/// The `/_sim/crn-matching` document.
#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CrnMatchingDocument {
    mode: CrnMatching,
}

pub(super) async fn sim_crn_matching(State(s): State<Arc<Shared>>) -> Json<CrnMatchingDocument> {
    Json(CrnMatchingDocument {
        mode: *lock(&s.crn_matching),
    })
}

pub(super) async fn sim_set_crn_matching(
    State(s): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<CrnMatchingDocument>, ApiError> {
    let document: CrnMatchingDocument = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_body(format!("the CRN matching document is invalid: {e}")))?;
    *lock(&s.crn_matching) = document.mode;
    Ok(Json(document))
}

pub(super) async fn sim_set_faults(
    State(s): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Faults>, ApiError> {
    let faults: Faults = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_body(format!("the faults document is invalid: {e}")))?;
    *lock(&s.faults) = faults.clone();
    Ok(Json(faults))
}

/// `GET /_sim/echo`, open without auth: the request as it arrived, its
/// method, path and query, and every header in order as
/// `{"method", "path", "headers": [[name, value], …]}`. It plays a server
/// that reflects what it is sent, so a test can see which headers reached
/// it; it tells a caller nothing but what that caller sent.
pub(super) async fn sim_echo(method: Method, uri: Uri, headers: HeaderMap) -> Json<Value> {
    let headers: Vec<[String; 2]> = headers
        .iter()
        .map(|(name, value)| {
            [
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ]
        })
        .collect();
    let path = uri.path_and_query().map_or("/", |pq| pq.as_str());
    Json(json!({"method": method.as_str(), "path": path, "headers": headers}))
}
