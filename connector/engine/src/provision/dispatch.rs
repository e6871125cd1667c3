//! Which document, or built-in, serves each provisioning operation.
//!
//! | operation | served by |
//! |---|---|
//! | create-account | `CreateUserJSON` (an invitation) when the request is for a user, else `CreateAccountJSON` (a service account) |
//! | update-account | `UpdateAccountJSON` |
//! | remove-account | `RemoveUserJSON` for a user id (`u-…`), else `RemoveAccountJSON` |
//! | add-access, remove-access | `AddAccessJSON` / `RemoveAccessJSON` when given, else the built-in role-binding logic |
//!
//! A request is for a user when its `kind` attribute is `user`, or its
//! `customproperty3` is `User` (where the seed's import maps the account
//! kind).

use crate::client::Transport;
use crate::confluent::access_provision;
use crate::dialect::documents::Config;
use crate::error::ConnectorError;
use crate::model::AttributeValue;
use crate::provision::{ProvisionOp, ProvisionRequest, ProvisionResult, run_plan};

/// Runs one provisioning operation.
pub async fn provision<T: Transport>(
    transport: &T,
    config: &Config,
    op: ProvisionOp,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let plans = &config.provisioning;
    let needs_account = |operation: &str| {
        if request.account_id.as_deref().is_none_or(str::is_empty) {
            return Err(ConnectorError::Config(format!(
                "{operation} needs an account id; the request has none"
            )));
        }
        Ok(())
    };
    match op {
        ProvisionOp::CreateAccount if is_user(request) => {
            run_plan(transport, config, &plans.create_user, request).await
        }
        ProvisionOp::CreateAccount => {
            run_plan(transport, config, &plans.create_account, request).await
        }
        ProvisionOp::UpdateAccount => {
            needs_account("update-account")?;
            run_plan(transport, config, &plans.update_account, request).await
        }
        ProvisionOp::RemoveAccount => {
            needs_account("remove-account")?;
            let plan = if request
                .account_id
                .as_deref()
                .is_some_and(|id| id.starts_with("u-"))
            {
                &plans.remove_user
            } else {
                &plans.remove_account
            };
            run_plan(transport, config, plan, request).await
        }
        ProvisionOp::AddAccess => match &plans.add_access {
            Some(plan) => run_plan(transport, config, plan, request).await,
            None => access_provision::add_access(transport, config, request).await,
        },
        ProvisionOp::RemoveAccess => match &plans.remove_access {
            Some(plan) => run_plan(transport, config, plan, request).await,
            None => access_provision::remove_access(transport, config, request).await,
        },
    }
}

/// Whether a create is for a user rather than a service account.
fn is_user(request: &ProvisionRequest) -> bool {
    request
        .user
        .iter()
        .chain(&request.account)
        .any(|(name, value)| {
            let AttributeValue::Text(text) = value else {
                return false;
            };
            (name == "kind" && text.eq_ignore_ascii_case("user"))
                || (name == "customproperty3" && text == "User")
        })
}
