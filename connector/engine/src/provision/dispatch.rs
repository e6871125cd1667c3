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
    let client = Client::new(transport, target, &config.retry);
    let plans = &config.provisioning;
    let account_id = |operation: &str| {
        let missing = format!("{operation} needs an account id; the request has none");
        let id = request.account_id.as_deref().filter(|id| !id.is_empty());
        id.ok_or(ConnectorError::Config(missing))
    };
    let plan = match op {
        ProvisionOp::CreateAccount if target.creates_a_user(request) => &plans.create_user,
        ProvisionOp::CreateAccount => &plans.create_account,
        ProvisionOp::UpdateAccount => {
            account_id("update-account")?;
            &plans.update_account
        }
        ProvisionOp::RemoveAccount => {
            if target.is_user_id(account_id("remove-account")?) {
                &plans.remove_user
            } else {
                &plans.remove_account
            }
        }
        ProvisionOp::AddAccess => match &plans.add_access {
            Some(plan) => plan,
            None => return target.add_access(client, config, request).await,
        },
        ProvisionOp::RemoveAccess => match &plans.remove_access {
            Some(plan) => plan,
            None => return target.remove_access(client, config, request).await,
        },
    };
    run_plan(client, config, plan, request).await
}
