//! `iam/v2`: users, service accounts and invitations.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value};

use super::{Keep, Named, Patched, Query, Served, Shared, created, lock, query_param};
use crate::body::{JsonObject, string_field};
use crate::errors::ApiError;
use crate::model::{Invitation, Resource, ServiceAccount, User};
use crate::store::{Collection, Store, stamps_now, touch};

impl Served for User {
    type Records = Collection<Self>;
    fn records(store: &Store) -> &Collection<Self> {
        &store.users
    }
    fn records_mut(store: &mut Store) -> &mut Collection<Self> {
        &mut store.users
    }
    /// A user takes their role bindings and their invitations along.
    fn cascade(&self, store: &mut Store) {
        store.remove_bindings_of(&self.id);
        store
            .invitations
            .remove_where(|invitation| invitation.email == self.email);
    }
}

impl Served for ServiceAccount {
    type Records = Collection<Self>;
    const FILTERS: &'static [&'static str] = &["display_name"];
    fn records(store: &Store) -> &Collection<Self> {
        &store.service_accounts
    }
    fn records_mut(store: &mut Store) -> &mut Collection<Self> {
        &mut store.service_accounts
    }
    /// Any of the repeatable `display_name`s.
    fn selection<'q>(query: &'q Query, _: &Shared) -> Result<Option<Keep<'q, Self>>, ApiError> {
        let names: Vec<&str> = query
            .iter()
            .filter(|(name, _)| name == "display_name")
            .map(|(_, v)| v.as_str())
            .collect();
        if names.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(move |sa: &Self| {
            names.contains(&sa.display_name.as_str())
        })))
    }
    /// An account takes its role bindings along.
    fn cascade(&self, store: &mut Store) {
        store.remove_bindings_of(&self.id);
    }
}

impl Patched for User {
    /// The new `full_name`.
    type Patch = Option<String>;
    fn read_patch(body: &Map<String, Value>) -> Result<Self::Patch, ApiError> {
        string_field(body, "full_name", false)
    }
    fn apply(&mut self, full_name: Self::Patch) {
        if let Some(full_name) = full_name {
            self.full_name = full_name;
        }
        touch(&mut self.stamps);
    }
}

impl Named for ServiceAccount {
    const NAME_IN_USE: &'static str = "Service name";
    fn name(&self) -> &str {
        &self.display_name
    }
}

impl Patched for ServiceAccount {
    /// The new `description` and `display_name`.
    type Patch = (Option<String>, Option<String>);
    fn read_patch(body: &Map<String, Value>) -> Result<Self::Patch, ApiError> {
        let description = string_field(body, "description", false)?;
        Ok((description, string_field(body, "display_name", false)?))
    }
    /// A `display_name` another account has is a 409.
    fn check_patch(
        store: &Store,
        id: &str,
        (_, display_name): &Self::Patch,
        origin: &str,
    ) -> Result<(), ApiError> {
        match display_name {
            Some(name) => Self::check_name(store, name, Some(id), origin),
            None => Ok(()),
        }
    }
    fn apply(&mut self, (description, display_name): Self::Patch) {
        if let Some(description) = description {
            self.description = description;
        }
        if let Some(display_name) = display_name {
            self.display_name = display_name;
        }
        touch(&mut self.stamps);
    }
}

impl Served for Invitation {
    type Records = Collection<Self>;
    const FILTERS: &'static [&'static str] = &["email", "status", "user", "creator"];
    fn records(store: &Store) -> &Collection<Self> {
        &store.invitations
    }
    fn records_mut(store: &mut Store) -> &mut Collection<Self> {
        &mut store.invitations
    }
    /// Exact, case-sensitive `email`, `status`, `user` and `creator`, combined
    /// with AND.
    fn selection<'q>(query: &'q Query, _: &Shared) -> Result<Option<Keep<'q, Self>>, ApiError> {
        let param = |name: &str| query_param(query, name);
        let (email, status, user, creator) = (
            param("email"),
            param("status"),
            param("user"),
            param("creator"),
        );
        if email.is_none() && status.is_none() && user.is_none() && creator.is_none() {
            return Ok(None);
        }
        let exact =
            |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
        Ok(Some(Box::new(move |invitation: &Self| {
            exact(&email, &invitation.email)
                && exact(&status, &invitation.status)
                && exact(&user, &invitation.user_id)
                && exact(
                    &creator,
                    invitation.creator_id.as_deref().unwrap_or_default(),
                )
        })))
    }
}

// ---- service accounts ----------------------------------------------------

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

// ---- invitations ---------------------------------------------------------

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
