//! Consent changes between gateways that share one PostgreSQL database: every Consent write
//! notifies in its own transaction (so the notice goes out at its commit, and never for a
//! write that rolled back), and every gateway listens on one connection of its own and drops
//! the patient from its `ActiveConsents` on receipt.
//!
//! While the listening connection is down, nothing is kept (`ActiveConsents::deafened`):
//! every request reads the store, and fails closed with it. Notices sent meanwhile are lost,
//! so once listening again the gateway starts with an empty cache.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::store::active_consents::ActiveConsents;
use crate::store::sql::{Bind, Statement};

/// One channel for every gateway of a database; the payload names the schema, so that
/// deployments in different schemas of one database ignore each other's notices.
const CHANNEL: &str = "ehds_consent_changes";

/// Waits between attempts to listen again after the connection was lost, doubling up to
/// the last.
const RETRY_WAITS_MS: [u64; 5] = [50, 100, 250, 500, 1000];

/// The statement that tells the other gateways that `patient_id`'s Consents changed; run in
/// the write's transaction.
pub(crate) fn notify(schema: &str, patient_id: &str) -> Statement {
    Statement::new(
        "SELECT pg_notify($1, $2)",
        vec![
            Bind::Text(CHANNEL.to_owned()),
            Bind::Text(payload(schema, patient_id)),
        ],
    )
}

/// `<schema> <patient id>`: a schema is an identifier (no spaces), and may be empty.
fn payload(schema: &str, patient_id: &str) -> String {
    format!("{schema} {patient_id}")
}

/// The `application_name` of a gateway's listening connection: the schema is an identifier
/// (checked at start-up), so it needs no quoting inside the literal.
pub fn listener_name(schema: &str) -> String {
    format!("ehds-gateway consent changes {schema}")
}

/// The patient a notice names, if it is for this schema.
fn patient_of<'a>(schema: &str, payload: &'a str) -> Option<&'a str> {
    let (of_schema, patient) = payload.split_once(' ')?;
    (of_schema == schema).then_some(patient)
}

/// Listens for as long as the pool is open, reconnecting after every loss.
pub(crate) async fn listen(pool: PgPool, schema: String, cache: ActiveConsents) {
    let mut failures = 0usize;
    while !pool.is_closed() {
        match listen_once(&pool, &schema, &cache).await {
            Ok(()) => failures = 0,
            Err(e) => {
                tracing::warn!(error = %e, "consent changes: cannot listen; every request reads the store");
                failures += 1;
            }
        }
        cache.deafened();
        metrics::counter!("ehds_consent_changes_lost_total").increment(1);
        if pool.is_closed() {
            break;
        }
        let wait = RETRY_WAITS_MS[failures.min(RETRY_WAITS_MS.len() - 1)];
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
}

/// One listening connection, from `LISTEN` until it is lost.
async fn listen_once(
    pool: &PgPool,
    schema: &str,
    cache: &ActiveConsents,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection ends this one; `listen` decides when and how to listen again, and
    // empties the cache first.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    // Named, so that an operator (or a test) can find this connection in
    // `pg_stat_activity`; the name is cut at 63 bytes.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET application_name = '{}'",
        listener_name(schema)
    )))
    .execute(&mut listener)
    .await?;
    cache.listening();
    tracing::info!("consent changes: listening");
    while let Some(notice) = listener.try_recv().await? {
        if let Some(patient) = patient_of(schema, notice.payload()) {
            cache.noticed(patient);
        }
    }
    tracing::warn!("consent changes: the listening connection was lost");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_names_the_patient_of_its_schema_only() {
        assert_eq!(
            patient_of("gw", &payload("gw", "no.p-no-008")),
            Some("no.p-no-008")
        );
        assert_eq!(patient_of("", &payload("", "se.p-se-1")), Some("se.p-se-1"));
        assert_eq!(patient_of("gw", &payload("other", "no.p-no-008")), None);
        assert_eq!(patient_of("gw", &payload("", "no.p-no-008")), None);
        assert_eq!(patient_of("gw", "no-space"), None);
    }
}
