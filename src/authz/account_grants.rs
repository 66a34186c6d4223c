//! The grants a citizen sees and may revoke on their account page (R38): those they made
//! themselves (for themself, a child, or someone who gave them a power of attorney), and
//! those others made on their data, acting for them as guardian or attorney.
//!
//! A person whose data an app reaches must be able to see and end that, whoever approved
//! it: a grantor of a power of attorney, and a child once the child may use apps alone (the
//! country's own-use age, R44). Below that age the guardian's decisions stand and are not
//! shown to the child: the child could otherwise undo them.

use std::collections::HashMap;

use crate::authz::AuthServer;
use crate::authz::approve::patient_name;
use crate::consent::policy::{self, Actor, Decision, DenyReason};
use crate::mapping::ids;
use crate::portal::PortalError;
use crate::store::StoreError;
use crate::store::authz::GrantRow;

/// A grant as the citizen sees it.
#[derive(Debug, Clone)]
pub struct ListedGrant {
    pub row: GrantRow,
    /// Patient id of who approved it: the citizen, or the guardian or attorney who did.
    pub approved_by: String,
    pub approved_by_name: String,
    /// Whether the citizen approved it themself.
    pub own: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Portal(#[from] PortalError),
}

/// Whether `user` (a Patient id) sees the grants others made on their data: from the age
/// at which they may use apps themselves.
pub async fn sees_grants_on_own_data(server: &AuthServer, user: &str) -> Result<bool, PortalError> {
    let Some(parsed) = ids::parse(user).filter(|p| p.record.is_none()) else {
        return Ok(false);
    };
    let Some(source) = server.portals.get(parsed.country) else {
        return Ok(false);
    };
    let Some(me) = source.person(parsed.person).await? else {
        return Ok(false);
    };
    let today = server.clock.today();
    Ok(!matches!(
        policy::decide_with(&server.own_use_ages, &me, Actor::Subject, today),
        Decision::Deny(DenyReason::BelowOwnUseAge)
    ))
}

/// The citizen's own grants and, when they may see them, those others made on their data;
/// newest first.
pub async fn visible_grants(
    server: &AuthServer,
    user: &str,
) -> Result<Vec<ListedGrant>, ListError> {
    let mut rows = server.store.grants_of(user).await?;
    if sees_grants_on_own_data(server, user).await? {
        rows.extend(server.store.grants_on(user).await?);
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.created_ms));
    let mut names: HashMap<String, String> = HashMap::new();
    let mut listed = Vec::with_capacity(rows.len());
    for row in rows {
        let approved_by = row.subject_patient_id.clone();
        let approved_by_name = match names.get(&approved_by) {
            Some(name) => name.clone(),
            None => {
                let name = patient_name(server, &approved_by).await;
                names.insert(approved_by.clone(), name.clone());
                name
            }
        };
        listed.push(ListedGrant {
            own: approved_by == user,
            approved_by,
            approved_by_name,
            row,
        });
    }
    Ok(listed)
}

/// Revokes grant `id` if the citizen sees it: their own, or one on their data. `false`:
/// no such active grant they see.
pub async fn revoke_visible(
    server: &AuthServer,
    user: &str,
    id: &str,
    now_ms: i64,
) -> Result<bool, ListError> {
    if server.store.revoke_grant(user, id, now_ms).await? {
        return Ok(true);
    }
    if !sees_grants_on_own_data(server, user).await? {
        return Ok(false);
    }
    Ok(server.store.revoke_grant_on(user, id, now_ms).await?)
}
