//! `iam/v2`: users, service accounts and invitations.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::{ListSpec, Shared, created, list, lock, parse_query, query_param};
use crate::body::{JsonObject, string_field};
use crate::errors::ApiError;
use crate::model::{Invitation, Resource, ServiceAccount, User};
use crate::pagination;
use crate::store::{stamps_now, touch};

pub(super) async fn list_users(
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

pub(super) async fn get_user(
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

pub(super) async fn patch_user(
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

pub(super) async fn delete_user(
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

pub(super) async fn list_service_accounts(
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

pub(super) async fn create_service_account(
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

pub(super) async fn get_service_account(
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

pub(super) async fn patch_service_account(
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

pub(super) async fn delete_service_account(
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

pub(super) async fn list_invitations(
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

pub(super) async fn create_invitation(
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

pub(super) async fn get_invitation(
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

pub(super) async fn delete_invitation(
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
