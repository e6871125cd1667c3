//! The HTTP surface: the Confluent Cloud endpoints, the gate every API request
//! passes (auth, rate limit, latency, faults, request log), and `/_sim/`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde_json::{Value, json};

use crate::body::{JsonObject, MAX_BODY_BYTES, string_field};
use crate::crn::CrnMatching;
use crate::errors::{ApiError, proxy_error_html, proxy_error_page, role_binding_forbidden};
use crate::faults::{BodyFault, Faults, RateLimiter};
use crate::model::{Environment, Invitation, Resource, RoleBinding, ServiceAccount, User};
use crate::pagination::{
    self, NextLinkStyle, PageLimits, PageTokens, collect_page, envelope, page_request,
};
use crate::store::{Collection, Store, stamps_now, touch};

/// One logged API request.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// The status answered.
    pub status: u16,
    /// When it arrived, RFC 3339.
    pub time: String,
    /// How long it took to answer, in milliseconds.
    pub duration_ms: u64,
}

/// The request log keeps at most this many entries, the newest.
const LOG_CAPACITY: usize = 200_000;

/// The longest request target (path and query) served; a longer one gets 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;

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
        .route("/iam/v2/users", get(list_users))
        .route(
            "/iam/v2/users/{id}",
            get(get_user).patch(patch_user).delete(delete_user),
        )
        .route(
            "/iam/v2/service-accounts",
            get(list_service_accounts).post(create_service_account),
        )
        .route(
            "/iam/v2/service-accounts/{id}",
            get(get_service_account)
                .patch(patch_service_account)
                .delete(delete_service_account),
        )
        .route(
            "/iam/v2/invitations",
            get(list_invitations).post(create_invitation),
        )
        .route(
            "/iam/v2/invitations/{id}",
            get(get_invitation).delete(delete_invitation),
        )
        .route("/org/v2/organizations", get(list_organizations))
        .route(
            "/org/v2/organizations/{id}",
            get(get_organization).patch(patch_organization),
        )
        .route(
            "/org/v2/environments",
            get(list_environments).post(create_environment),
        )
        .route(
            "/org/v2/environments/{id}",
            get(get_environment)
                .patch(patch_environment)
                .delete(delete_environment),
        )
        .route(
            "/iam/v2/role-bindings",
            get(list_role_bindings).post(create_role_binding),
        )
        .route(
            "/iam/v2/role-bindings/{id}",
            get(get_role_binding).delete(delete_role_binding),
        )
        .route("/_sim/state", get(sim_state))
        .route(
            "/_sim/requests",
            get(sim_requests).delete(sim_clear_requests),
        )
        .route("/_sim/faults", get(sim_faults).put(sim_set_faults))
        .route(
            "/_sim/crn-matching",
            get(sim_crn_matching).put(sim_set_crn_matching),
        )
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(shared.clone(), gate));
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

/// Every request except `/health` passes here: auth, then (for the API, not
/// `/_sim/`) the rate limit, latency and faults, and the request log.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(String::new, |pq| pq.to_string());
    let control = request.uri().path().starts_with("/_sim/");

    let mut response = if path.len() > MAX_URI_BYTES {
        ApiError::uri_too_long(MAX_URI_BYTES).into_response()
    } else if !authorized(&shared, request.headers()) {
        ApiError::unauthenticated().into_response()
    } else if control {
        next.run(request).await
    } else {
        serve_api(&shared, request, next).await
    };
    response.headers_mut().insert(
        "x-request-id",
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("uuid"),
    );

    if !control {
        let mut log = lock(&shared.log);
        if log.len() >= LOG_CAPACITY {
            log.drain(..LOG_CAPACITY / 10);
        }
        log.push(LoggedRequest {
            method,
            path,
            status: response.status().as_u16(),
            time,
            duration_ms: started.elapsed().as_millis() as u64,
        });
    }
    response
}

async fn serve_api(shared: &Shared, request: Request, next: Next) -> Response {
    let faults = lock(&shared.faults).clone();
    let decision = lock(&shared.limiter).check(&shared.api_key, faults.rate_limit);
    let mut response = if decision.refused {
        let mut response = ApiError::rate_limited().into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, decision.reset_seconds.into());
        response
    } else {
        let targeted = faults.targets(request.method().as_str(), request.uri().path());
        let delay = targeted.then(|| faults.draw_latency()).flatten();
        if let Some(delay) = delay.filter(|_| !faults.latency_after_apply) {
            tokio::time::sleep(delay).await;
        }
        let server_error = |status: u16| {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if faults.html_errors {
                proxy_error_page(status)
            } else {
                ApiError::server_error(status).into_response()
            }
        };
        match targeted.then(|| faults.draw_error()).flatten() {
            Some(status) if faults.error_after_apply => {
                next.run(request).await;
                server_error(status)
            }
            Some(status) => server_error(status),
            None => {
                let response = next.run(request).await;
                if let Some(delay) = delay.filter(|_| faults.latency_after_apply) {
                    tokio::time::sleep(delay).await;
                }
                match targeted.then(|| faults.draw_body_fault()).flatten() {
                    Some(fault) => break_body(response, fault).await,
                    None => response,
                }
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", decision.limit.into());
    headers.insert("x-ratelimit-remaining", decision.remaining.into());
    headers.insert("x-ratelimit-reset", decision.reset_seconds.into());
    response
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = BASE64.decode(encoded.trim()) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    decoded.split_once(':') == Some((shared.api_key.as_str(), shared.api_secret.as_str()))
}

async fn break_body(response: Response, fault: BodyFault) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let half = bytes.slice(..bytes.len() / 2);
    match fault {
        BodyFault::Truncate => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, half.len().into());
            Response::from_parts(parts, Body::from(half))
        }
        BodyFault::NotJson => {
            let html = Bytes::from(proxy_error_html(StatusCode::BAD_GATEWAY));
            parts
                .headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            parts
                .headers
                .insert(header::CONTENT_LENGTH, html.len().into());
            Response::from_parts(parts, Body::from(html))
        }
        BodyFault::Reset => {
            parts
                .headers
                .insert(header::CONTENT_LENGTH, bytes.len().into());
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(half),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "simulated reset",
                )),
            ];
            Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(chunks)))
        }
    }
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

// ---- users ---------------------------------------------------------------

async fn list_users(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(q);
    let store = lock(&s.store);
    let spec = ListSpec {
        api_version: "iam/v2",
        kind: "UserList",
        path: "/iam/v2/users",
        limits: pagination::STANDARD,
        filters: &[],
    };
    list(&s, &store, &store.users, spec, &query, |_| true, false)
}

async fn get_user(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = lock(&s.store);
    let user = store
        .users
        .get(&id)
        .ok_or_else(|| ApiError::not_found("User", &id))?;
    Ok(Json(user.to_json(&s.origin, store.org_id())))
}

async fn patch_user(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let full_name = string_field(&body, "full_name", false)?;
    let mut store = lock(&s.store);
    let user = store
        .users
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("User", &id))?;
    if let Some(full_name) = full_name {
        user.full_name = full_name;
    }
    touch(&mut user.stamps);
    let user = user.clone();
    Ok(Json(user.to_json(&s.origin, store.org_id())))
}

async fn delete_user(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut store = lock(&s.store);
    let user = store
        .users
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("User", &id))?;
    store.remove_bindings_of(&id);
    store
        .invitations
        .remove_where(|invitation| invitation.email == user.email);
    Ok(StatusCode::NO_CONTENT)
}

// ---- service accounts ----------------------------------------------------

async fn list_service_accounts(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(q);
    let names: Vec<&str> = query
        .iter()
        .filter(|(name, _)| name == "display_name")
        .map(|(_, v)| v.as_str())
        .collect();
    let store = lock(&s.store);
    let spec = ListSpec {
        api_version: "iam/v2",
        kind: "ServiceAccountList",
        path: "/iam/v2/service-accounts",
        limits: pagination::STANDARD,
        filters: &["display_name"],
    };
    let keep = |sa: &ServiceAccount| names.is_empty() || names.contains(&sa.display_name.as_str());
    list(
        &s,
        &store,
        &store.service_accounts,
        spec,
        &query,
        keep,
        !names.is_empty(),
    )
}

async fn create_service_account(
    State(s): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let display_name = string_field(&body, "display_name", true)?.unwrap_or_default();
    let description = string_field(&body, "description", false)?.unwrap_or_default();
    if display_name.is_empty() {
        return Err(ApiError::bad_body("'display_name' must not be empty"));
    }
    let mut store = lock(&s.store);
    if let Some(existing) = store
        .service_accounts
        .iter()
        .find(|sa| sa.display_name == display_name)
    {
        return Err(ApiError::conflict(
            format!("Service name is already in use: '{display_name}'"),
            format!("{}/iam/v2/service-accounts/{}", s.origin, existing.id),
        ));
    }
    let sa = ServiceAccount {
        id: store.new_id("sa"),
        display_name,
        description,
        stamps: stamps_now(),
    };
    let json = sa.to_json(&s.origin, store.org_id());
    let path = format!("/iam/v2/service-accounts/{}", sa.id);
    let seq = store.next_seq();
    store.service_accounts.insert(seq, sa);
    Ok(created(&s, &path, json))
}

async fn get_service_account(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = lock(&s.store);
    let sa = store
        .service_accounts
        .get(&id)
        .ok_or_else(|| ApiError::not_found("ServiceAccount", &id))?;
    Ok(Json(sa.to_json(&s.origin, store.org_id())))
}

async fn patch_service_account(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let description = string_field(&body, "description", false)?;
    let display_name = string_field(&body, "display_name", false)?;
    let mut store = lock(&s.store);
    if store.service_accounts.get(&id).is_none() {
        return Err(ApiError::not_found("ServiceAccount", &id));
    }
    if let Some(name) = &display_name
        && let Some(existing) = store
            .service_accounts
            .iter()
            .find(|sa| &sa.display_name == name && sa.id != id)
    {
        return Err(ApiError::conflict(
            format!("Service name is already in use: '{name}'"),
            format!("{}/iam/v2/service-accounts/{}", s.origin, existing.id),
        ));
    }
    let sa = store.service_accounts.get_mut(&id).expect("checked above");
    if let Some(description) = description {
        sa.description = description;
    }
    if let Some(display_name) = display_name {
        sa.display_name = display_name;
    }
    touch(&mut sa.stamps);
    let sa = sa.clone();
    Ok(Json(sa.to_json(&s.origin, store.org_id())))
}

async fn delete_service_account(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut store = lock(&s.store);
    store
        .service_accounts
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("ServiceAccount", &id))?;
    store.remove_bindings_of(&id);
    Ok(StatusCode::NO_CONTENT)
}

// ---- invitations ---------------------------------------------------------

async fn list_invitations(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(q);
    let param = |name: &str| query_param(&query, name);
    let (email, status, user, creator) = (
        param("email"),
        param("status"),
        param("user"),
        param("creator"),
    );
    let filtered = email.is_some() || status.is_some() || user.is_some() || creator.is_some();
    let exact = |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
    let keep = |invitation: &Invitation| {
        exact(&email, &invitation.email)
            && exact(&status, &invitation.status)
            && exact(&user, &invitation.user_id)
            && exact(
                &creator,
                invitation.creator_id.as_deref().unwrap_or_default(),
            )
    };
    let store = lock(&s.store);
    let spec = ListSpec {
        api_version: "iam/v2",
        kind: "InvitationList",
        path: "/iam/v2/invitations",
        limits: pagination::STANDARD,
        filters: &["email", "status", "user", "creator"],
    };
    list(&s, &store, &store.invitations, spec, &query, keep, filtered)
}

async fn create_invitation(
    State(s): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let email = string_field(&body, "email", true)?.unwrap_or_default();
    if !email.contains('@') {
        return Err(ApiError::bad_body(format!(
            "'email' is not an email address: '{email}'"
        )));
    }
    let auth_type =
        string_field(&body, "auth_type", false)?.unwrap_or_else(|| "AUTH_TYPE_LOCAL".into());
    let mut store = lock(&s.store);
    if let Some(existing) = store
        .users
        .iter()
        .find(|user| user.email.eq_ignore_ascii_case(&email))
    {
        let location = match store
            .invitations
            .iter()
            .find(|invitation| invitation.user_id == existing.id)
        {
            Some(invitation) => format!("{}/iam/v2/invitations/{}", s.origin, invitation.id),
            None => format!("{}/iam/v2/users/{}", s.origin, existing.id),
        };
        return Err(ApiError::conflict(
            format!("A user with email '{email}' already exists"),
            location,
        ));
    }
    let user = User {
        id: store.new_id("u"),
        email: email.clone(),
        full_name: String::new(),
        auth_type: auth_type.clone(),
        stamps: stamps_now(),
    };
    let expires_at = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let creator_id = store.users.iter().next().map(|first| first.id.clone());
    let invitation = Invitation {
        id: store.new_id("i"),
        creator_id,
        email,
        auth_type,
        status: "INVITE_STATUS_SENT".to_string(),
        user_id: user.id.clone(),
        expires_at,
        stamps: stamps_now(),
    };
    let json = invitation.to_json(&s.origin, store.org_id());
    let path = format!("/iam/v2/invitations/{}", invitation.id);
    let seq = store.next_seq();
    store.users.insert(seq, user);
    let seq = store.next_seq();
    store.invitations.insert(seq, invitation);
    Ok(created(&s, &path, json))
}

async fn get_invitation(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = lock(&s.store);
    let invitation = store
        .invitations
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Invitation", &id))?;
    Ok(Json(invitation.to_json(&s.origin, store.org_id())))
}

async fn delete_invitation(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut store = lock(&s.store);
    store
        .invitations
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("Invitation", &id))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- organizations and environments --------------------------------------

async fn list_organizations(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(q);
    let path = "/org/v2/organizations";
    let request = page_request(&query, pagination::STANDARD, &s.page_tokens, path, &[])?;
    let store = lock(&s.store);
    // The one organization is position 1.
    let orgs = store
        .organization
        .iter()
        .map(|org| (1, org))
        .filter(|(position, _)| request.after.is_none_or(|after| *position > after));
    let page = collect_page(
        orgs,
        &request,
        &s.page_tokens,
        store.organization.iter().count(),
        |org| org.to_json(&s.origin, &org.id),
    );
    Ok(Json(envelope(
        "org/v2",
        "OrganizationList",
        &s.origin,
        path,
        &query,
        page,
        &NextLinkStyle::default(),
    )))
}

async fn get_organization(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = lock(&s.store);
    match &store.organization {
        Some(org) if org.id == id => Ok(Json(org.to_json(&s.origin, &org.id))),
        _ => Err(ApiError::not_found("Organization", &id)),
    }
}

/// The specs' pattern for an organization's `display_name`:
/// `^[^<>#%'*^`{|}~\"]{1,31}$`.
fn valid_organization_name(name: &str) -> bool {
    (1..=31).contains(&name.chars().count())
        && !name.contains([
            '<', '>', '#', '%', '\'', '*', '^', '`', '{', '|', '}', '~', '"',
        ])
}

async fn patch_organization(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let display_name = string_field(&body, "display_name", false)?;
    if let Some(name) = display_name
        .as_deref()
        .filter(|n| !valid_organization_name(n))
    {
        return Err(ApiError::bad_body(format!(
            "'display_name' must be 1 to 31 characters without <>#%'*^`{{|}}~\", got '{name}'"
        )));
    }
    let jit_enabled = match body.get("jit_enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(enabled)) => Some(*enabled),
        Some(other) => {
            return Err(ApiError::bad_body(format!(
                "'jit_enabled' must be a boolean, got {other}"
            )));
        }
    };
    let mut store = lock(&s.store);
    let org = store
        .organization
        .as_mut()
        .filter(|org| org.id == id)
        .ok_or_else(|| ApiError::not_found("Organization", &id))?;
    if let Some(display_name) = display_name {
        org.display_name = display_name;
    }
    if let Some(jit_enabled) = jit_enabled {
        org.jit_enabled = jit_enabled;
    }
    touch(&mut org.stamps);
    Ok(Json(org.to_json(&s.origin, &org.id)))
}

async fn list_environments(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(q);
    let store = lock(&s.store);
    let spec = ListSpec {
        api_version: "org/v2",
        kind: "EnvironmentList",
        path: "/org/v2/environments",
        limits: pagination::STANDARD,
        filters: &[],
    };
    list(
        &s,
        &store,
        &store.environments,
        spec,
        &query,
        |_| true,
        false,
    )
}

fn governance_package(body: &serde_json::Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("stream_governance_config") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(config)) => string_field(config, "package", true),
        Some(_) => Err(ApiError::bad_body(
            "'stream_governance_config' must be an object",
        )),
    }
}

async fn create_environment(
    State(s): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let display_name = string_field(&body, "display_name", true)?.unwrap_or_default();
    let package = governance_package(&body)?.unwrap_or_else(|| "ESSENTIALS".to_string());
    let mut store = lock(&s.store);
    if let Some(existing) = store
        .environments
        .iter()
        .find(|env| env.display_name == display_name)
    {
        return Err(ApiError::conflict(
            format!("Environment name is already in use: '{display_name}'"),
            format!("{}/org/v2/environments/{}", s.origin, existing.id),
        ));
    }
    let env = Environment {
        id: store.new_id("env"),
        display_name,
        governance_package: package,
        stamps: stamps_now(),
    };
    let json = env.to_json(&s.origin, store.org_id());
    let path = format!("/org/v2/environments/{}", env.id);
    let seq = store.next_seq();
    store.environments.insert(seq, env);
    Ok(created(&s, &path, json))
}

async fn get_environment(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let store = lock(&s.store);
    let env = store
        .environments
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Environment", &id))?;
    Ok(Json(env.to_json(&s.origin, store.org_id())))
}

async fn patch_environment(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let display_name = string_field(&body, "display_name", false)?;
    let package = governance_package(&body)?;
    let mut store = lock(&s.store);
    let env = store
        .environments
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Environment", &id))?;
    if let Some(display_name) = display_name {
        env.display_name = display_name;
    }
    if let Some(package) = package {
        env.governance_package = package;
    }
    touch(&mut env.stamps);
    let env = env.clone();
    Ok(Json(env.to_json(&s.origin, store.org_id())))
}

async fn delete_environment(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut store = lock(&s.store);
    let env = store
        .environments
        .remove(&id)
        .ok_or_else(|| ApiError::not_found("Environment", &id))?;
    let crn = env.crn(store.org_id());
    let scoped = format!("{crn}/");
    store
        .role_bindings
        .remove_where(|rb| rb.crn_pattern == crn || rb.crn_pattern.starts_with(&scoped));
    Ok(StatusCode::NO_CONTENT)
}

// ---- role bindings -------------------------------------------------------

async fn list_role_bindings(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = parse_query(q);
    let param = |name: &str| query_param(&query, name);
    let Some(crn_pattern) = param("crn_pattern") else {
        return Err(ApiError::bad_parameter(
            "crn_pattern",
            "crn_pattern is required",
        ));
    };
    let principal = param("principal");
    let role_name = param("role_name");
    let matching = *lock(&s.crn_matching);
    let keep = |rb: &RoleBinding| {
        matching.matches(&crn_pattern, &rb.crn_pattern)
            && principal.as_ref().is_none_or(|p| &rb.principal == p)
            && role_name.as_ref().is_none_or(|r| &rb.role_name == r)
    };
    let store = lock(&s.store);
    let spec = ListSpec {
        api_version: "iam/v2",
        kind: "RoleBindingList",
        path: "/iam/v2/role-bindings",
        limits: pagination::ROLE_BINDINGS,
        filters: &["crn_pattern", "principal", "role_name"],
    };
    list(&s, &store, &store.role_bindings, spec, &query, keep, true)
}

async fn create_role_binding(
    State(s): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let principal = string_field(&body, "principal", true)?.unwrap_or_default();
    let role_name = string_field(&body, "role_name", true)?.unwrap_or_default();
    let crn_pattern = string_field(&body, "crn_pattern", true)?.unwrap_or_default();
    let principal_ok = ["User:", "Group:"].iter().any(|prefix| {
        principal
            .strip_prefix(prefix)
            .is_some_and(|rest| !rest.is_empty())
    });
    if !principal_ok {
        return Err(ApiError::bad_body(format!(
            "'principal' must match ^User:.+$ or ^Group:.+$, got '{principal}'"
        )));
    }
    if role_name.is_empty() {
        return Err(ApiError::bad_body("'role_name' must not be empty"));
    }
    if crn_pattern.strip_prefix("crn://").is_none_or(str::is_empty) {
        return Err(ApiError::bad_body(format!(
            "'crn_pattern' must match ^crn://.+$, got '{crn_pattern}'"
        )));
    }
    let mut store = lock(&s.store);
    if let Some(existing) = store.role_bindings.iter().find(|rb| {
        rb.principal == principal && rb.role_name == role_name && rb.crn_pattern == crn_pattern
    }) {
        return Err(ApiError::conflict(
            format!("Role binding already exists: {principal} {role_name} on {crn_pattern}"),
            format!("{}/iam/v2/role-bindings/{}", s.origin, existing.id),
        ));
    }
    let rb = RoleBinding {
        id: store.new_id("rb"),
        principal,
        role_name,
        crn_pattern,
        stamps: stamps_now(),
    };
    let json = rb.to_json(&s.origin, store.org_id());
    let path = format!("/iam/v2/role-bindings/{}", rb.id);
    let seq = store.next_seq();
    store.role_bindings.insert(seq, rb);
    Ok(created(&s, &path, json))
}

async fn get_role_binding(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let store = lock(&s.store);
    match store.role_bindings.get(&id) {
        Some(rb) => Json(rb.to_json(&s.origin, store.org_id())).into_response(),
        None => role_binding_forbidden(),
    }
}

async fn delete_role_binding(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let mut store = lock(&s.store);
    match store.role_bindings.remove(&id) {
        Some(rb) => Json(rb.to_json(&s.origin, store.org_id())).into_response(),
        None => role_binding_forbidden(),
    }
}

// ---- control API ---------------------------------------------------------

/// Everything the simulator holds, in the API's own JSON shapes.
pub fn state_json(shared: &Shared) -> Value {
    let store = lock(&shared.store);
    let org_id = store.org_id();
    fn all<T: Resource>(c: &Collection<T>, origin: &str, org_id: &str) -> Vec<Value> {
        c.iter().map(|r| r.to_json(origin, org_id)).collect()
    }
    json!({
        "organizations": store.organization.iter().map(|o| o.to_json(&shared.origin, org_id)).collect::<Vec<_>>(),
        "users": all(&store.users, &shared.origin, org_id),
        "service_accounts": all(&store.service_accounts, &shared.origin, org_id),
        "invitations": all(&store.invitations, &shared.origin, org_id),
        "environments": all(&store.environments, &shared.origin, org_id),
        "role_bindings": all(&store.role_bindings, &shared.origin, org_id),
    })
}

async fn sim_state(State(s): State<Arc<Shared>>) -> Json<Value> {
    Json(state_json(&s))
}

async fn sim_requests(State(s): State<Arc<Shared>>) -> Json<Vec<LoggedRequest>> {
    Json(lock(&s.log).clone())
}

async fn sim_clear_requests(State(s): State<Arc<Shared>>) -> StatusCode {
    lock(&s.log).clear();
    StatusCode::NO_CONTENT
}

async fn sim_faults(State(s): State<Arc<Shared>>) -> Json<Faults> {
    Json(lock(&s.faults).clone())
}

/// The `/_sim/crn-matching` document.
#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CrnMatchingDocument {
    mode: CrnMatching,
}

async fn sim_crn_matching(State(s): State<Arc<Shared>>) -> Json<CrnMatchingDocument> {
    Json(CrnMatchingDocument {
        mode: *lock(&s.crn_matching),
    })
}

async fn sim_set_crn_matching(
    State(s): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<CrnMatchingDocument>, ApiError> {
    let document: CrnMatchingDocument = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_body(format!("the CRN matching document is invalid: {e}")))?;
    *lock(&s.crn_matching) = document.mode;
    Ok(Json(document))
}

async fn sim_set_faults(
    State(s): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<Faults>, ApiError> {
    let faults: Faults = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_body(format!("the faults document is invalid: {e}")))?;
    *lock(&s.faults) = faults.clone();
    Ok(Json(faults))
}
