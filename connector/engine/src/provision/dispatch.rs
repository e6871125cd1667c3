//! Which document, or the target's built-in, serves each provisioning
//! operation.
//!
//! | operation | served by |
//! |---|---|
//! | create-account | `CreateUserJSON` (an invitation) when the target reads the request as a user's, else `CreateAccountJSON` |
//! | update-account | `UpdateAccountJSON` |
//! | remove-account | `RemoveUserJSON` for a user id, else `RemoveAccountJSON` |
//! | add-access, remove-access | `AddAccessJSON` / `RemoveAccessJSON` when given, else the target's built-in |

use crate::client::{Client, Transport};
use crate::dialect::documents::Config;
use crate::error::ConnectorError;
use crate::provision::{ProvisionOp, ProvisionRequest, ProvisionResult, run_plan};

/// Runs one provisioning operation.
pub async fn provision<T: Transport>(
    transport: &T,
    config: &Config,
    op: ProvisionOp,
    request: &ProvisionRequest,
) -> Result<ProvisionResult, ConnectorError> {
    let target = config.target();
    let client = Client::new(transport, target);
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
        ProvisionOp::CreateAccount if target.creates_a_user(request) => {
            run_plan(client, config, &plans.create_user, request).await
        }
        ProvisionOp::CreateAccount => {
            run_plan(client, config, &plans.create_account, request).await
        }
        ProvisionOp::UpdateAccount => {
            needs_account("update-account")?;
            run_plan(client, config, &plans.update_account, request).await
        }
        ProvisionOp::RemoveAccount => {
            needs_account("remove-account")?;
            let plan = if request
                .account_id
                .as_deref()
                .is_some_and(|id| target.is_user_id(id))
            {
                &plans.remove_user
            } else {
                &plans.remove_account
            };
            run_plan(client, config, plan, request).await
        }
        ProvisionOp::AddAccess => match &plans.add_access {
            Some(plan) => run_plan(client, config, plan, request).await,
            None => target.add_access(client, config, request).await,
        },
        ProvisionOp::RemoveAccess => match &plans.remove_access {
            Some(plan) => run_plan(client, config, plan, request).await,
            None => target.remove_access(client, config, request).await,
        },
    }
}
