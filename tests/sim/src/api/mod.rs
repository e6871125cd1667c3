//! The HTTP surface: the router, the state every request shares, and the
//! handlers every resource's endpoints share, written once over `Served`.
//! What differs between resources lives in one module per family; the gate
//! every API request passes and `/_sim/` have their own; `/health` and
//! `/_sim/echo` are open, outside the gate.

mod control;
mod gate;
mod iam;
mod org;
mod role_bindings;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value};

use crate::body::{JsonObject, MAX_BODY_BYTES};
use crate::crn::CrnMatching;
use crate::errors::ApiError;
use crate::faults::{Faults, RateLimiter};
use crate::model::{
    Environment, Invitation, Organization, Resource, RoleBinding, ServiceAccount, User,
    resource_url,
};
use crate::pagination::{
    self, NextLinkStyle, PageLimits, PageTokens, collect_page, envelope, page_request,
};
use crate::store::{Collection, Records, RecordsMut, Selection, Store, Stored};

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
    /// The connections accepted so far.
    pub connections: std::sync::atomic::AtomicU64,
    /// The accepted API key.
    pub api_key: String,
    /// The accepted API secret.
    pub api_secret: String,
    /// `http://127.0.0.1:PORT`, set once bound.
    pub origin: String,
}

impl Shared {
    /// Runs `f` on the data under the store's lock, the one place it is taken.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.store))
    }
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
        .route(User::PATH, get(list::<User>))
        .route(
            &item_path::<User>(),
            get(get_one::<User>)
                .patch(patch::<User>)
                .delete(delete::<User>),
        )
        .route(
            ServiceAccount::PATH,
            get(list::<ServiceAccount>).post(create::<ServiceAccount>),
        )
        .route(
            &item_path::<ServiceAccount>(),
            get(get_one::<ServiceAccount>)
                .patch(patch::<ServiceAccount>)
                .delete(delete::<ServiceAccount>),
        )
        .route(
            Invitation::PATH,
            get(list::<Invitation>).post(create::<Invitation>),
        )
        .route(
            &item_path::<Invitation>(),
            get(get_one::<Invitation>).delete(delete::<Invitation>),
        )
        .route(Organization::PATH, get(list::<Organization>))
        .route(
            &item_path::<Organization>(),
            get(get_one::<Organization>).patch(patch::<Organization>),
        )
        .route(
            Environment::PATH,
            get(list::<Environment>).post(create::<Environment>),
        )
        .route(
            &item_path::<Environment>(),
            get(get_one::<Environment>)
                .patch(patch::<Environment>)
                .delete(delete::<Environment>),
        )
        .route(
            RoleBinding::PATH,
            get(list::<RoleBinding>).post(create::<RoleBinding>),
        )
        .route(
            &item_path::<RoleBinding>(),
            get(get_one::<RoleBinding>).delete(delete::<RoleBinding>),
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
        .route("/_sim/echo", get(control::sim_echo))
        .merge(api)
        .method_not_allowed_fallback(wrong_method)
        .with_state(shared)
}

/// Where the API serves one `R`: `PATH/{id}`.
fn item_path<R: Resource>() -> String {
    format!("{}/{{id}}", R::PATH)
}

async fn unknown_path(uri: Uri) -> ApiError {
    ApiError::unknown_path(uri.path())
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}

/// A resource as the API serves it: what its endpoints do beyond what the
/// handlers below do for every resource.
trait Served: Stored {
    /// The list's page-size rules.
    const LIMITS: PageLimits = pagination::STANDARD;
    /// The query parameters that filter the list; a page token is bound to
    /// their values.
    const FILTERS: &'static [&'static str] = &[];
    /// Whether `DELETE` answers 200 with the deleted record instead of 204.
    const DELETE_ECHOES: bool = false;
    /// Which records the list's `query` selects: every record by default.
    fn selection<'q>(_query: &'q Query, _shared: &Shared) -> Result<Selection<'q, Self>, ApiError> {
        Ok(Selection::Every)
    }
    /// The answer for an id that names no record: a 404.
    fn missing(id: &str) -> Response {
        ApiError::not_found(Self::KIND, id).into_response()
    }
    /// Removes what goes with this record, just deleted: nothing by default.
    fn cascade(&self, _store: &mut Store) {}
}

/// A resource that `PATCH` changes in place.
trait Patched: Served<Records: RecordsMut<Self>> + Clone {
    /// The changes a body asks for.
    type Patch;
    /// Reads and checks the changes, before the store is touched.
    fn read_patch(body: &Map<String, Value>) -> Result<Self::Patch, ApiError>;
    /// Refuses changes to the record `id` that clash with another record:
    /// none by default.
    fn check_patch(
        _store: &Store,
        _id: &str,
        _patch: &Self::Patch,
        _origin: &str,
    ) -> Result<(), ApiError> {
        Ok(())
    }
    /// Makes the changes and marks the record updated.
    fn apply(&mut self, patch: Self::Patch);
}

/// A resource that `POST` creates.
trait Created: Served<Records = Collection<Self>> {
    /// What a body asks for.
    type Draft;
    /// Reads and checks it, before the store is touched.
    fn read_draft(body: &Map<String, Value>) -> Result<Self::Draft, ApiError>;
    /// Refuses a draft that clashes with a stored record: a 409.
    fn check_draft(store: &Store, draft: &Self::Draft, origin: &str) -> Result<(), ApiError>;
    /// The new record under a fresh id, with whatever comes into being along
    /// with it already stored.
    fn build(draft: Self::Draft, store: &mut Store) -> Self;
}

/// A resource whose name is unique in the organization.
trait Named: Served {
    /// How the 409 for a name in use calls it, such as `Service name`.
    const NAME_IN_USE: &'static str;
    /// The record's name.
    fn name(&self) -> &str;
    /// Refuses `name` when a record other than `except` has it: a 409 with
    /// that record's `Location`.
    fn check_name(
        store: &Store,
        name: &str,
        except: Option<&str>,
        origin: &str,
    ) -> Result<(), ApiError> {
        let taken = Self::records(store)
            .every()
            .find(|other| other.name() == name && except != Some(other.id()));
        match taken {
            Some(other) => Err(ApiError::conflict(
                format!("{} is already in use: '{name}'", Self::NAME_IN_USE),
                resource_url::<Self>(origin, other.id()),
            )),
            None => Ok(()),
        }
    }
}

/// `GET PATH`: one page of the records the query keeps.
async fn list<R: Served>(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_query(q);
    let selection = R::selection(&query, &s)?;
    let request = page_request(&query, R::LIMITS, &s.page_tokens, R::PATH, R::FILTERS)?;
    let page = s.with_store(|store| {
        let org_id = store.org_id().to_string();
        let (total, following) = R::records_mut(store).select(&selection, request.after);
        collect_page(following, &request, &s.page_tokens, total, |r| {
            r.json(&s.origin, &org_id)
        })
    });
    let faults = lock(&s.faults);
    let style = NextLinkStyle {
        loop_back: faults.loop_next,
        foreign_origin: faults.next_origin.clone(),
    };
    let kind = format!("{}List", R::KIND);
    let envelope = envelope(
        R::API_VERSION,
        &kind,
        &s.origin,
        R::PATH,
        &query,
        page,
        &style,
    );
    Ok(Json(envelope).into_response())
}

/// `GET PATH/{id}`.
async fn get_one<R: Served>(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    s.with_store(|store| match R::records(store).find(&id) {
        Some(record) => Json(record.json(&s.origin, store.org_id())).into_response(),
        None => R::missing(&id),
    })
}

/// `POST PATH`: 201 with the new record, and its URL in `Location`.
async fn create<R: Created>(
    State(s): State<Arc<Shared>>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let draft = R::read_draft(&body)?;
    s.with_store(|store| {
        R::check_draft(store, &draft, &s.origin)?;
        let record = R::build(draft, store);
        let json = record.to_json(&s.origin, store.org_id());
        let location = resource_url::<R>(&s.origin, record.id());
        let seq = store.next_seq();
        R::records_mut(store).insert(seq, record);
        let mut response = (StatusCode::CREATED, Json(json)).into_response();
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        Ok(response)
    })
}

/// `PATCH PATH/{id}`.
async fn patch<R: Patched>(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let patch = R::read_patch(&body)?;
    s.with_store(|store| {
        if R::records(store).find(&id).is_none() {
            return Ok(R::missing(&id));
        }
        R::check_patch(store, &id, &patch, &s.origin)?;
        let record = R::records_mut(store).find_mut(&id).expect("found above");
        record.apply(patch);
        let record = record.clone();
        Ok(Json(record.to_json(&s.origin, store.org_id())).into_response())
    })
}

/// `DELETE PATH/{id}`, for resources kept in a [`Collection`].
async fn delete<R: Served<Records = Collection<R>>>(
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    s.with_store(|store| {
        let Some(record) = R::records_mut(store).remove(&id) else {
            return R::missing(&id);
        };
        record.cascade(store);
        if R::DELETE_ECHOES {
            Json(record.json(&s.origin, store.org_id())).into_response()
        } else {
            StatusCode::NO_CONTENT.into_response()
        }
    })
}
