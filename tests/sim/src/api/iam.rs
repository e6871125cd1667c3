//! `iam/v2`: users, service accounts and invitations.

use serde_json::{Map, Value};

use super::{Created, Named, Patched, Query, Served, Shared, query_param};
use crate::body::string_field;
use crate::errors::ApiError;
use crate::model::{Invitation, ServiceAccount, User, resource_url};
use crate::store::{Selection, Store, stamps_now, touch};

impl Served for User {
    /// A user takes their role bindings and their invitations along.
    fn cascade(&self, store: &mut Store) {
        store.remove_bindings_of(&self.id);
        store
            .invitations
            .remove_where(|invitation| invitation.email == self.email);
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

impl Served for ServiceAccount {
    const FILTERS: &'static [&'static str] = &["display_name"];
    /// Any of the repeatable `display_name`s.
    fn selection<'q>(query: &'q Query, _: &Shared) -> Result<Selection<'q, Self>, ApiError> {
        let names: Vec<&str> = query
            .iter()
            .filter(|(name, _)| name == "display_name")
            .map(|(_, v)| v.as_str())
            .collect();
        if names.is_empty() {
            return Ok(Selection::Every);
        }
        Ok(Selection::Kept(Box::new(move |sa: &Self| {
            names.contains(&sa.display_name.as_str())
        })))
    }
    /// An account takes its role bindings along.
    fn cascade(&self, store: &mut Store) {
        store.remove_bindings_of(&self.id);
    }
}

impl Named for ServiceAccount {
    const NAME_IN_USE: &'static str = "Service name";
    fn name(&self) -> &str {
        &self.display_name
    }
}

impl Created for ServiceAccount {
    /// The `display_name` and `description`.
    type Draft = (String, String);
    /// A `display_name` is required and not empty.
    fn read_draft(body: &Map<String, Value>) -> Result<Self::Draft, ApiError> {
        let display_name = string_field(body, "display_name", true)?.unwrap_or_default();
        let description = string_field(body, "description", false)?.unwrap_or_default();
        if display_name.is_empty() {
            return Err(ApiError::bad_body("'display_name' must not be empty"));
        }
        Ok((display_name, description))
    }
    /// A `display_name` in use is a 409.
    fn check_draft(store: &Store, draft: &Self::Draft, origin: &str) -> Result<(), ApiError> {
        Self::check_name(store, &draft.0, None, origin)
    }
    fn build((display_name, description): Self::Draft, store: &mut Store) -> Self {
        Self {
            id: store.new_id("sa"),
            display_name,
            description,
            stamps: stamps_now(),
        }
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
    const FILTERS: &'static [&'static str] = &["email", "status", "user", "creator"];
    /// Exact, case-sensitive `email`, `status`, `user` and `creator`, combined
    /// with AND.
    fn selection<'q>(query: &'q Query, _: &Shared) -> Result<Selection<'q, Self>, ApiError> {
        let param = |name: &str| query_param(query, name);
        let (email, status, user, creator) = (
            param("email"),
            param("status"),
            param("user"),
            param("creator"),
        );
        if email.is_none() && status.is_none() && user.is_none() && creator.is_none() {
            return Ok(Selection::Every);
        }
        let exact =
            |wanted: &Option<String>, value: &str| wanted.as_deref().is_none_or(|w| w == value);
        Ok(Selection::Kept(Box::new(move |invitation: &Self| {
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

impl Created for Invitation {
    /// The `email` and `auth_type`.
    type Draft = (String, String);
    fn read_draft(body: &Map<String, Value>) -> Result<Self::Draft, ApiError> {
        let email = string_field(body, "email", true)?.unwrap_or_default();
        if !email.contains('@') {
            return Err(ApiError::bad_body(format!(
                "'email' is not an email address: '{email}'"
            )));
        }
        let auth_type =
            string_field(body, "auth_type", false)?.unwrap_or_else(|| "AUTH_TYPE_LOCAL".into());
        Ok((email, auth_type))
    }
    /// An email a user has (in any case) is a 409 with the `Location` of that
    /// user's invitation, or of the user when there is none.
    fn check_draft(store: &Store, (email, _): &Self::Draft, origin: &str) -> Result<(), ApiError> {
        let Some(existing) = store
            .users
            .iter()
            .find(|user| user.email.eq_ignore_ascii_case(email))
        else {
            return Ok(());
        };
        let location = match store
            .invitations
            .iter()
            .find(|invitation| invitation.user_id == existing.id)
        {
            Some(invitation) => resource_url::<Self>(origin, &invitation.id),
            None => resource_url::<User>(origin, &existing.id),
        };
        Err(ApiError::conflict(
            format!("A user with email '{email}' already exists"),
            location,
        ))
    }
    /// The invited user is created at once; the organization's first user
    /// stands in for the creator.
    fn build((email, auth_type): Self::Draft, store: &mut Store) -> Self {
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
        let invitation = Self {
            id: store.new_id("i"),
            creator_id,
            email,
            auth_type,
            status: "INVITE_STATUS_SENT".to_string(),
            user_id: user.id.clone(),
            expires_at,
            stamps: stamps_now(),
        };
        let seq = store.next_seq();
        store.users.insert(seq, user);
        invitation
    }
}
