//! The HTTP surface: the router, the state every request shares, and the
//! helpers the resource handlers share. The handlers live in one module per
//! resource family; the gate every API request passes and `/_sim/` have
//! their own.

mod control;
mod gate;
mod iam;
mod org;
mod role_bindings;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::body::MAX_BODY_BYTES;
use crate::crn::CrnMatching;
use crate::errors::ApiError;
use crate::faults::{Faults, RateLimiter};
use crate::model::Resource;
use crate::pagination::{
    NextLinkStyle, PageLimits, PageTokens, collect_page, envelope, page_request,
};
use crate::store::{Collection, Store};

pub use control::state_json;
pub use gate::{LoggedRequest, MAX_URI_BYTES};

/// State shared by every request.
#[derive(Debug)]
pub struct Shared {
    /// The data.
    pub store: Mutex<Store>,
    /// The fault knobs.
    pub faults: Mutex<Faults>,
    /// How `crn_pattern` selects role bindings.
    pub crn_matching: Mutex<CrnMatching>,
    /// Issues and checks page tokens.
    pub page_tokens: PageTokens,
    /// Per-key request counts.
    pub limiter: Mutex<RateLimiter>,
    /// The request log.
    pub log: Mutex<Vec<LoggedRequest>>,
    /// The accepted API key.
    pub api_key: String,
    /// The accepted API secret.
    pub api_secret: String,
    /// `http://127.0.0.1:PORT`, set once bound.
    pub origin: String,
}

/// Locks a mutex, surviving a panicked holder (the data stays usable).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

type Query = Vec<(String, String)>;

fn parse_query(raw: Option<String>) -> Query {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The first value of the query parameter `name`.
fn query_param(query: &Query, name: &str) -> Option<String> {
    query
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// The simulator's router.
pub fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/iam/v2/users", get(iam::list_users))
        .route(
            "/iam/v2/users/{id}",
            get(iam::get_user)
                .patch(iam::patch_user)
                .delete(iam::delete_user),
        )
        .route(
            "/iam/v2/service-accounts",
            get(iam::list_service_accounts).post(iam::create_service_account),
        )
        .route(
            "/iam/v2/service-accounts/{id}",
            get(iam::get_service_account)
                .patch(iam::patch_service_account)
                .delete(iam::delete_service_account),
        )
        .route(
            "/iam/v2/invitations",
            get(iam::list_invitations).post(iam::create_invitation),
        )
        .route(
            "/iam/v2/invitations/{id}",
            get(iam::get_invitation).delete(iam::delete_invitation),
        )
        .route("/org/v2/organizations", get(org::list_organizations))
        .route(
            "/org/v2/organizations/{id}",
            get(org::get_organization).patch(org::patch_organization),
        )
        .route(
            "/org/v2/environments",
            get(org::list_environments).post(org::create_environment),
        )
        .route(
            "/org/v2/environments/{id}",
            get(org::get_environment)
                .patch(org::patch_environment)
                .delete(org::delete_environment),
        )
        .route(
            "/iam/v2/role-bindings",
            get(role_bindings::list_role_bindings).post(role_bindings::create_role_binding),
        )
        .route(
            "/iam/v2/role-bindings/{id}",
            get(role_bindings::get_role_binding).delete(role_bindings::delete_role_binding),
        )
        .route("/_sim/state", get(control::sim_state))
        .route(
            "/_sim/requests",
            get(control::sim_requests).delete(control::sim_clear_requests),
        )
        .route(
            "/_sim/faults",
            get(control::sim_faults).put(control::sim_set_faults),
        )
        .route(
            "/_sim/crn-matching",
            get(control::sim_crn_matching).put(control::sim_set_crn_matching),
        )
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(shared.clone(), gate::gate));
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(api)
        .method_not_allowed_fallback(wrong_method)
        .with_state(shared)
}

async fn unknown_path(uri: Uri) -> ApiError {
    ApiError::unknown_path(uri.path())
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}

// ---- list helpers -------------------------------------------------------

struct ListSpec {
    api_version: &'static str,
    kind: &'static str,
    path: &'static str,
    limits: PageLimits,
    /// The query parameters that filter this list; a page token is bound to
    /// their values.
    filters: &'static [&'static str],
}

fn list<T: Resource>(
    shared: &Shared,
    store: &Store,
    collection: &Collection<T>,
    spec: ListSpec,
    query: &Query,
    keep: impl Fn(&T) -> bool,
    filtered: bool,
) -> Result<Json<Value>, ApiError> {
    let request = page_request(
        query,
        spec.limits,
        &shared.page_tokens,
        spec.path,
        spec.filters,
    )?;
    let total = if filtered {
        collection.iter().filter(|r| keep(r)).count()
    } else {
        collection.len()
    };
    let org_id = store.org_id();
    let page = collect_page(
        collection.after(request.after).filter(|(_, r)| keep(r)),
        &request,
        &shared.page_tokens,
        total,
        |r| r.to_json(&shared.origin, org_id),
    );
    let faults = lock(&shared.faults);
    let style = NextLinkStyle {
        loop_back: faults.loop_next,
        foreign_origin: faults.next_origin.clone(),
    };
    Ok(Json(envelope(
        spec.api_version,
        spec.kind,
        &shared.origin,
        spec.path,
        query,
        page,
        &style,
    )))
}

fn created(shared: &Shared, path: &str, body: Value) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{}{path}", shared.origin)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
