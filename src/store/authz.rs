//! The authorization server's state: flows in progress, single-use authorization codes,
//! grants (approved apps), login sessions, refresh-token families with rotation, issued
//! and revoked access tokens, and used client-assertion ids.
//!
//! Everything a restart or a second instance must see is here, so the authorization server
//! itself keeps nothing but caches. Secrets are stored by their SHA-256 (the caller hashes);
//! people by Patient id. Every change is one transaction.

use sqlx::{AssertSqlSafe, FromRow};

use crate::store::sql::{Bind, Statement, Written};
use crate::store::{Store, StoreError, with_pool};

/// The authorization server's view of the store.
#[derive(Clone, Debug)]
pub struct AuthzStore {
    store: Store,
}

#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub subject_patient_id: String,
    pub patient_id: String,
    pub scopes: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id_sha256: String,
    pub subject_patient_id: String,
    pub acr: Option<String>,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub client_id: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct RefreshRow {
    pub token_sha256: String,
    pub grant_id: String,
    pub scopes: String,
    pub issued_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    pub replaced_by: Option<String>,
    pub family: Option<String>,
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
struct CodeRow {
    client_id: String,
    details: String,
    expires_ms: i64,
    used_ms: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct RevokedRow {
    pub jti: String,
    pub expires_ms: i64,
    pub revoked_ms: i64,
}

#[derive(Debug, Clone, FromRow)]
struct TextRow {
    value: String,
}

/// What redeeming an authorization code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    /// First use, in time: `(client_id, details)`.
    Fresh { client_id: String, details: String },
    /// Used before: a replay (RFC 6749 §4.1.2); `details` to revoke what it produced.
    Reused { client_id: String, details: String },
    /// Unknown or expired.
    Invalid,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone)]
pub enum Rotation {
    /// The token was current; it is now replaced by the new one.
    Rotated(RefreshRow),
    /// The token had been replaced or revoked before: its family is now revoked.
    Reused(RefreshRow),
    /// Unknown or expired.
    Invalid,
}

/// A new refresh token to store.
#[derive(Debug, Clone)]
pub struct NewRefresh {
    pub token_sha256: String,
    pub grant_id: String,
    pub scopes: String,
    pub family: String,
    pub session_id: Option<String>,
    pub issued_ms: i64,
    pub expires_ms: i64,
}

/// An access token as issued, for revoking it with what it came from.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub jti: String,
    pub client_id: String,
    pub grant_id: Option<String>,
    pub family: Option<String>,
    pub session_id: Option<String>,
    pub expires_ms: i64,
}

fn text(value: impl Into<String>) -> Bind {
    Bind::Text(value.into())
}

/// Revokes, in `revoked_tokens`, the live access tokens whose `column` is `$1` (`$2` = now).
fn revoke_access_tokens_by(column: &str, value: &str, now_ms: i64) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO revoked_tokens (jti, expires_ms, revoked_ms) \
             SELECT jti, expires_ms, $2 FROM issued_access_tokens WHERE {column} = $1 AND expires_ms > $3 \
             ON CONFLICT (jti) DO NOTHING"
        ),
        vec![text(value), Bind::Int(now_ms), Bind::Int(now_ms)],
    )
}

fn revoke_refresh_by(column: &str, value: &str, now_ms: i64) -> Statement {
    Statement::new(
        format!(
            "UPDATE refresh_tokens SET revoked_ms = $2 WHERE {column} = $1 AND revoked_ms IS NULL"
        ),
        vec![text(value), Bind::Int(now_ms)],
    )
}

impl AuthzStore {
    pub fn new(store: Store) -> AuthzStore {
        AuthzStore { store }
    }

    async fn rows<T>(&self, sql: &str, binds: Vec<Bind>) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        with_pool!(self.store.backend(), |pool, _begin| {
            let mut query = sqlx::query_as::<_, T>(AssertSqlSafe(sql.to_owned()));
            for bind in binds {
                query = match bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::OptText(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                    Bind::OptInt(v) => query.bind(v),
                };
            }
            Ok(query.fetch_all(pool).await?)
        })
    }

    async fn write(&self, statements: Vec<Statement>) -> Result<Written, StoreError> {
        self.store.write(statements).await
    }

    // ---- flows -------------------------------------------------------------------------

    pub async fn put_flow(
        &self,
        id_sha256: &str,
        details: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(vec![Statement::new(
            "INSERT INTO authz_flows (id_sha256, details, created_ms, expires_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id_sha256) DO UPDATE SET details = excluded.details",
            vec![text(id_sha256), text(details), Bind::Int(now_ms), Bind::Int(expires_ms)],
        )])
        .await
        .map(drop)
    }

    pub async fn flow(&self, id_sha256: &str, now_ms: i64) -> Result<Option<String>, StoreError> {
        let rows: Vec<TextRow> = self
            .rows(
                "SELECT details AS value FROM authz_flows WHERE id_sha256 = $1 AND expires_ms > $2",
                vec![text(id_sha256), Bind::Int(now_ms)],
            )
            .await?;
        Ok(rows.into_iter().next().map(|r| r.value))
    }

    /// Moves a flow to a new id in one transaction: the old id finds nothing afterwards.
    pub async fn replace_flow(
        &self,
        old_sha256: &str,
        new_sha256: &str,
        details: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(vec![
            Statement::new(
                "INSERT INTO authz_flows (id_sha256, details, created_ms, expires_ms) VALUES ($1, $2, $3, $4)",
                vec![text(new_sha256), text(details), Bind::Int(now_ms), Bind::Int(expires_ms)],
            ),
            Statement::new(
                "DELETE FROM authz_flows WHERE id_sha256 = $1",
                vec![text(old_sha256)],
            ),
        ])
        .await
        .map(drop)
    }

    pub async fn delete_flow(&self, id_sha256: &str) -> Result<(), StoreError> {
        self.write(vec![Statement::new(
            "DELETE FROM authz_flows WHERE id_sha256 = $1",
            vec![text(id_sha256)],
        )])
        .await
        .map(drop)
    }

    // ---- authorization codes -----------------------------------------------------------

    pub async fn insert_code(
        &self,
        code_sha256: &str,
        client_id: &str,
        details: &str,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(vec![Statement::new(
            "INSERT INTO authz_codes (code_sha256, client_id, details, expires_ms) VALUES ($1, $2, $3, $4)",
            vec![text(code_sha256), text(client_id), text(details), Bind::Int(expires_ms)],
        )])
        .await
        .map(drop)
    }

    /// Marks the code used, once: of two concurrent redemptions exactly one is `Fresh`.
    pub async fn redeem_code(
        &self,
        code_sha256: &str,
        now_ms: i64,
    ) -> Result<Redeemed, StoreError> {
        let marked = self
            .write(vec![Statement::guarded(
                "UPDATE authz_codes SET used_ms = $2 WHERE code_sha256 = $1 AND used_ms IS NULL AND expires_ms > $3",
                vec![text(code_sha256), Bind::Int(now_ms), Bind::Int(now_ms)],
            )])
            .await?;
        let rows: Vec<CodeRow> = self
            .rows(
                "SELECT client_id, details, expires_ms, used_ms FROM authz_codes WHERE code_sha256 = $1",
                vec![text(code_sha256)],
            )
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(Redeemed::Invalid);
        };
        Ok(match marked {
            Written::Committed => Redeemed::Fresh {
                client_id: row.client_id,
                details: row.details,
            },
            Written::GuardFailed if row.used_ms.is_some() => Redeemed::Reused {
                client_id: row.client_id,
                details: row.details,
            },
            Written::GuardFailed => {
                debug_assert!(row.expires_ms <= now_ms);
                Redeemed::Invalid
            }
        })
    }

    // ---- grants ------------------------------------------------------------------------

    /// The citizen's approval of `client_id` for `patient_id` with `scopes`: the active
    /// grant of the same app and patient is widened to these scopes, else a new one made.
    pub async fn approve(
        &self,
        new_id: &str,
        client_id: &str,
        subject: &str,
        patient: &str,
        scopes: &str,
        now_ms: i64,
    ) -> Result<String, StoreError> {
        let existing = self.active_grant(client_id, subject, patient).await?;
        match existing {
            Some(grant) => {
                self.write(vec![Statement::new(
                    "UPDATE app_grants SET scopes = $2 WHERE id = $1",
                    vec![text(&grant.id), text(scopes)],
                )])
                .await?;
                Ok(grant.id)
            }
            None => {
                self.write(vec![Statement::new(
                    "INSERT INTO app_grants (id, client_id, subject_patient_id, patient_id, scopes, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    vec![text(new_id), text(client_id), text(subject), text(patient), text(scopes), Bind::Int(now_ms)],
                )])
                .await?;
                Ok(new_id.to_owned())
            }
        }
    }

    pub async fn active_grant(
        &self,
        client_id: &str,
        subject: &str,
        patient: &str,
    ) -> Result<Option<GrantRow>, StoreError> {
        let rows: Vec<GrantRow> = self
            .rows(
                "SELECT * FROM app_grants WHERE client_id = $1 AND subject_patient_id = $2 \
                 AND patient_id = $3 AND revoked_ms IS NULL ORDER BY created_ms",
                vec![text(client_id), text(subject), text(patient)],
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    pub async fn grant(&self, id: &str) -> Result<Option<GrantRow>, StoreError> {
        let rows: Vec<GrantRow> = self
            .rows("SELECT * FROM app_grants WHERE id = $1", vec![text(id)])
            .await?;
        Ok(rows.into_iter().next())
    }

    /// The citizen's active grants, newest first.
    pub async fn grants_of(&self, subject: &str) -> Result<Vec<GrantRow>, StoreError> {
        self.rows(
            "SELECT * FROM app_grants WHERE subject_patient_id = $1 AND revoked_ms IS NULL ORDER BY created_ms DESC",
            vec![text(subject)],
        )
        .await
    }

    /// The active grants others (a guardian, an attorney) made on `patient`'s data, newest
    /// first.
    pub async fn grants_on(&self, patient: &str) -> Result<Vec<GrantRow>, StoreError> {
        self.rows(
            "SELECT * FROM app_grants WHERE patient_id = $1 AND subject_patient_id <> $1 \
             AND revoked_ms IS NULL ORDER BY created_ms DESC",
            vec![text(patient)],
        )
        .await
    }

    /// Revokes the grant of `subject` with its refresh tokens and live access tokens.
    /// `false`: no such active grant of theirs.
    pub async fn revoke_grant(
        &self,
        subject: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.revoke_grant_where("subject_patient_id", subject, id, now_ms)
            .await
    }

    /// Revokes a grant made on `patient`'s data (by anyone), like `revoke_grant`.
    /// `false`: no such active grant on their data.
    pub async fn revoke_grant_on(
        &self,
        patient: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.revoke_grant_where("patient_id", patient, id, now_ms)
            .await
    }

    /// `column` is one of our two constants, never input.
    async fn revoke_grant_where(
        &self,
        column: &'static str,
        person: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let written = self
            .write(vec![
                Statement::guarded(
                    format!(
                        "UPDATE app_grants SET revoked_ms = $3 WHERE id = $1 AND {column} = $2 AND revoked_ms IS NULL"
                    ),
                    vec![text(id), text(person), Bind::Int(now_ms)],
                ),
                revoke_refresh_by("grant_id", id, now_ms),
                revoke_access_tokens_by("grant_id", id, now_ms),
            ])
            .await?;
        Ok(written == Written::Committed)
    }

    // ---- sessions ----------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_session(
        &self,
        id_sha256: &str,
        subject: &str,
        acr: Option<&str>,
        client_id: Option<&str>,
        country: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(vec![Statement::new(
            "INSERT INTO sessions (id_sha256, subject_patient_id, acr, created_ms, last_seen_ms, expires_ms, client_id, country) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                text(id_sha256),
                text(subject),
                Bind::OptText(acr.map(str::to_owned)),
                Bind::Int(now_ms),
                Bind::Int(now_ms),
                Bind::Int(expires_ms),
                Bind::OptText(client_id.map(str::to_owned)),
                text(country),
            ],
        )])
        .await
        .map(drop)
    }

    /// A live session.
    pub async fn session(
        &self,
        id_sha256: &str,
        now_ms: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        let rows: Vec<SessionRow> = self
            .rows(
                "SELECT * FROM sessions WHERE id_sha256 = $1 AND revoked_ms IS NULL AND expires_ms > $2",
                vec![text(id_sha256), Bind::Int(now_ms)],
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    pub async fn sessions_of(
        &self,
        subject: &str,
        now_ms: i64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        self.rows(
            "SELECT * FROM sessions WHERE subject_patient_id = $1 AND revoked_ms IS NULL AND expires_ms > $2 \
             ORDER BY created_ms DESC",
            vec![text(subject), Bind::Int(now_ms)],
        )
        .await
    }

    /// Ends a login of `subject`, with the refresh tokens and access tokens issued in it.
    pub async fn revoke_session(
        &self,
        subject: &str,
        id_sha256: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let written = self
            .write(vec![
                Statement::guarded(
                    "UPDATE sessions SET revoked_ms = $3 WHERE id_sha256 = $1 AND subject_patient_id = $2 AND revoked_ms IS NULL",
                    vec![text(id_sha256), text(subject), Bind::Int(now_ms)],
                ),
                revoke_refresh_by("session_id", id_sha256, now_ms),
                revoke_access_tokens_by("session_id", id_sha256, now_ms),
            ])
            .await?;
        Ok(written == Written::Committed)
    }

    // ---- refresh tokens ----------------------------------------------------------------

    pub async fn insert_refresh(&self, token: &NewRefresh) -> Result<(), StoreError> {
        self.write(vec![insert_refresh(token)]).await.map(drop)
    }

    /// Presents a refresh token: if current, it is replaced by `next` in the same
    /// transaction; if it was replaced or revoked before, its whole family is revoked.
    pub async fn rotate_refresh(
        &self,
        token_sha256: &str,
        next: &NewRefresh,
        now_ms: i64,
    ) -> Result<Rotation, StoreError> {
        let rows: Vec<RefreshRow> = self
            .rows(
                "SELECT * FROM refresh_tokens WHERE token_sha256 = $1",
                vec![text(token_sha256)],
            )
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(Rotation::Invalid);
        };
        if row.replaced_by.is_some() || row.revoked_ms.is_some() {
            if let Some(family) = &row.family {
                self.revoke_family(family, now_ms).await?;
            }
            return Ok(Rotation::Reused(row));
        }
        if row.expires_ms <= now_ms {
            return Ok(Rotation::Invalid);
        }
        let written = self
            .write(vec![
                Statement::guarded(
                    "UPDATE refresh_tokens SET replaced_by = $2 WHERE token_sha256 = $1 \
                     AND replaced_by IS NULL AND revoked_ms IS NULL",
                    vec![text(token_sha256), text(&next.token_sha256)],
                ),
                insert_refresh(next),
            ])
            .await?;
        match written {
            Written::Committed => Ok(Rotation::Rotated(row)),
            // Another request rotated it in between: that is a reuse too.
            Written::GuardFailed => {
                if let Some(family) = &row.family {
                    self.revoke_family(family, now_ms).await?;
                }
                Ok(Rotation::Reused(row))
            }
        }
    }

    /// Revokes every refresh token of the family and the access tokens issued from it.
    pub async fn revoke_family(&self, family: &str, now_ms: i64) -> Result<(), StoreError> {
        self.write(vec![
            revoke_refresh_by("family", family, now_ms),
            revoke_access_tokens_by("family", family, now_ms),
        ])
        .await
        .map(drop)
    }

    /// The family of a refresh token, if the token is known.
    pub async fn refresh_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<RefreshRow>, StoreError> {
        let rows: Vec<RefreshRow> = self
            .rows(
                "SELECT * FROM refresh_tokens WHERE token_sha256 = $1",
                vec![text(token_sha256)],
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    // ---- access tokens -----------------------------------------------------------------

    pub async fn record_access_token(&self, token: &IssuedToken) -> Result<(), StoreError> {
        self.write(vec![Statement::new(
            "INSERT INTO issued_access_tokens (jti, client_id, grant_id, family, session_id, expires_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                text(&token.jti),
                text(&token.client_id),
                Bind::OptText(token.grant_id.clone()),
                Bind::OptText(token.family.clone()),
                Bind::OptText(token.session_id.clone()),
                Bind::Int(token.expires_ms),
            ],
        )])
        .await
        .map(drop)
    }

    pub async fn revoke_access_token(
        &self,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(vec![Statement::new(
            "INSERT INTO revoked_tokens (jti, expires_ms, revoked_ms) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING",
            vec![text(jti), Bind::Int(expires_ms), Bind::Int(now_ms)],
        )])
        .await
        .map(drop)
    }

    /// Revocations recorded at or after `since_ms` of tokens not yet expired at `now_ms`.
    pub async fn revoked_since(
        &self,
        since_ms: i64,
        now_ms: i64,
    ) -> Result<Vec<RevokedRow>, StoreError> {
        self.rows(
            "SELECT jti, expires_ms, revoked_ms FROM revoked_tokens WHERE revoked_ms >= $1 AND expires_ms > $2",
            vec![Bind::Int(since_ms), Bind::Int(now_ms)],
        )
        .await
    }

    // ---- client assertions -------------------------------------------------------------

    /// Records the `jti` of a client assertion; `false` if it was used before (a replay).
    pub async fn use_assertion(
        &self,
        client_id: &str,
        jti: &str,
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        let written = self
            .write(vec![Statement::guarded(
                "INSERT INTO used_client_assertions (client_id, jti, expires_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (client_id, jti) DO NOTHING",
                vec![text(client_id), text(jti), Bind::Int(expires_ms)],
            )])
            .await?;
        Ok(written == Written::Committed)
    }

    // ---- housekeeping ------------------------------------------------------------------

    /// Deletes what can no longer matter: expired flows, codes, assertion ids, revocations
    /// of expired tokens and records of expired access tokens.
    pub async fn purge_expired(&self, now_ms: i64) -> Result<(), StoreError> {
        let delete = |table: &str| {
            Statement::new(
                format!("DELETE FROM {table} WHERE expires_ms <= $1"),
                vec![Bind::Int(now_ms)],
            )
        };
        self.write(vec![
            delete("authz_flows"),
            delete("authz_codes"),
            delete("used_client_assertions"),
            delete("revoked_tokens"),
            delete("issued_access_tokens"),
        ])
        .await
        .map(drop)
    }
}

fn insert_refresh(token: &NewRefresh) -> Statement {
    Statement::new(
        "INSERT INTO refresh_tokens (token_sha256, grant_id, scopes, issued_ms, expires_ms, family, session_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            text(&token.token_sha256),
            text(&token.grant_id),
            text(&token.scopes),
            Bind::Int(token.issued_ms),
            Bind::Int(token.expires_ms),
            text(&token.family),
            Bind::OptText(token.session_id.clone()),
        ],
    )
}
